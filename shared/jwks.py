"""Verify JWTs against an issuer's JWKS, fetched by URL and cached.

A key the cache does not know, or a signature that fails with the cached key of a known
``kid`` (some providers rotate keys under a fixed ``kid``), triggers one refetch; refetches
are rate-limited so a stream of forged tokens cannot turn into a stream of JWKS requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import jwt
import structlog

__all__ = ["JwksCache", "TokenRefused"]

log = structlog.get_logger(__name__)


class TokenRefused(Exception):
    """The token is not acceptable; the message says why (never echo it to the caller verbatim)."""


class JwksCache:
    def __init__(
        self,
        jwks_url: str,
        http: httpx.AsyncClient,
        *,
        min_refetch_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        self.http = http
        self.min_refetch_seconds = min_refetch_seconds
        self.clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._refetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def keys(self) -> dict[str, jwt.PyJWK]:
        if self._keys is None:
            await self._fetch()
        return self._keys or {}

    async def refetch(self) -> bool:
        """Fetch again unless that was done very recently; True when new keys were fetched."""
        async with self._lock:
            if self.clock() - self._refetched_at < self.min_refetch_seconds:
                return False
            self._refetched_at = self.clock()
            await self._fetch_locked()
            return True

    async def _fetch(self) -> None:
        async with self._lock:
            if self._keys is None:
                await self._fetch_locked()

    async def _fetch_locked(self) -> None:
        self.fetches += 1
        response = await self.http.get(self.jwks_url, timeout=5.0)
        response.raise_for_status()
        keys: dict[str, jwt.PyJWK] = {}
        for entry in response.json().get("keys", []):
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or algorithm we do not accept
            keys[str(entry.get("kid", ""))] = key
        self._keys = keys
        log.info("jwks.fetched", url=self.jwks_url, keys=len(keys))

    async def decode(
        self,
        token: str,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str] = ("RS256",),
        require: Sequence[str] = ("exp", "iat", "iss", "aud"),
        leeway: float = 30.0,
    ) -> dict[str, Any]:
        """The verified claims of ``token``; raise TokenRefused otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRefused("malformed token") from exc
        if header.get("alg") not in algorithms:
            raise TokenRefused(f"algorithm {header.get('alg')!r} not accepted")
        kid = str(header.get("kid", ""))
        for attempt in range(2):
            key = (await self.keys()).get(kid)
            if key is not None:
                try:
                    claims: dict[str, Any] = jwt.decode(
                        token,
                        key.key,
                        algorithms=list(algorithms),
                        issuer=issuer,
                        audience=audience,
                        leeway=leeway,
                        options={"require": list(require)},
                    )
                    return claims
                except jwt.InvalidSignatureError as exc:
                    if attempt or not await self.refetch():
                        raise TokenRefused("bad signature") from exc
                    continue
                except jwt.PyJWTError as exc:
                    raise TokenRefused(str(exc)) from exc
            if attempt or not await self.refetch():
                break
        raise TokenRefused("unknown signing key")

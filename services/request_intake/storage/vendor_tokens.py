"""Vendor tokens from the Maskinporten issuer: verified against its JWKS, fetched by URL and cached.

A verified token is remembered (by its SHA-256) until it expires, so a vendor sending the
same token on every call pays for one RSA verification, not one per request.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

import httpx

from shared.jwks import JwksCache, TokenRefused

from ..domain.vendors import Vendor, vendor_from_claims

__all__ = ["ProviderTokens"]

REMEMBERED_TOKENS = 10_000


class ProviderTokens:
    def __init__(
        self,
        *,
        issuer: str,
        jwks_url: str,
        audience: str,
        max_lifetime_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.max_lifetime_seconds = max_lifetime_seconds
        self.clock = clock
        self.http = httpx.AsyncClient(timeout=5.0)
        self.jwks = JwksCache(jwks_url, self.http)
        self._verified: OrderedDict[str, tuple[Vendor, float]] = OrderedDict()

    async def verify(self, token: str) -> Vendor:
        """The vendor the token proves; raise TokenRefused otherwise."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        remembered = self._verified.get(digest)
        if remembered is not None and remembered[1] > self.clock():
            return remembered[0]
        claims = await self.jwks.decode(
            token,
            issuer=self.issuer,
            audience=self.audience,
            require=("exp", "iat", "iss", "aud"),
        )
        found = vendor_from_claims(claims, max_lifetime_seconds=self.max_lifetime_seconds)
        if isinstance(found, str):
            raise TokenRefused(found)
        self._remember(digest, found, float(claims["exp"]))
        return found

    def _remember(self, digest: str, vendor: Vendor, expires: float) -> None:
        self._verified[digest] = (vendor, expires)
        self._verified.move_to_end(digest)
        while len(self._verified) > REMEMBERED_TOKENS:
            self._verified.popitem(last=False)

    async def aclose(self) -> None:
        await self.http.aclose()

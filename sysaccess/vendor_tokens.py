"""Vendor tokens from the identity provider's Maskinporten issuer, for tools, tests and load.

The project signs no vendor tokens itself: a vendor gets its token from the provider by client
credentials, as from Maskinporten. Tokens live 120 s there, so a long-running client asks for
a fresh one when half of that has passed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import httpx

from sysaccess import oidc

__all__ = ["ALL_SCOPES", "SMARTCLOUD", "VendorAuth", "VendorTokens"]

SMARTCLOUD = "314000110"
ALL_SCOPES = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
]
REFRESH_AFTER_SECONDS = oidc.MASKINPORTEN_TOKEN_SECONDS / 2


class VendorTokens:
    def __init__(self, oidc_url: str) -> None:
        self.oidc_url = oidc_url
        self._tokens: dict[tuple[str, tuple[str, ...]], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, org_no: str = SMARTCLOUD, scopes: list[str] | None = None) -> str:
        key = (org_no, tuple(scopes or ALL_SCOPES))
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() - cached[1] < REFRESH_AFTER_SECONDS:
                return cached[0]
            token = oidc.vendor_token(self.oidc_url, org_no, list(key[1]))
            self._tokens[key] = (token, time.monotonic())
            return token


class VendorAuth(httpx.Auth):
    """Bearer authentication with a token that is renewed before it expires."""

    def __init__(self, tokens: VendorTokens, org_no: str = SMARTCLOUD) -> None:
        self.tokens = tokens
        self.org_no = org_no

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # A request that names its own credentials (another vendor's token, say) keeps them.
        request.headers.setdefault("Authorization", f"Bearer {self.tokens.get(self.org_no)}")
        yield request

"""The portal's OpenID Connect client (authlib): authorization code with PKCE, verified ID tokens."""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 fork and warns, on every start, that plain httpx is
    # deprecated; httpx is still supported there, and the project keeps one HTTP client.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from shared.jwks import JwksCache, TokenRefused

from ..domain.login import IdentityClaims, LoginChallenge
from ..domain.refusals import Refusal, RefusalReason, Refused

__all__ = ["OidcIdentityProvider"]


def _refused(detail: str) -> Refused:
    return Refused(Refusal("LOGIN-REFUSED", detail, RefusalReason.FORBIDDEN, title="Login refused"))


class OidcIdentityProvider:
    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        minimum_acr: str,
        browser_issuer: str | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.browser_issuer = (browser_issuer or issuer).rstrip("/")
        self.client_id = client_id
        self.minimum_acr = minimum_acr
        self.http = httpx.AsyncClient(timeout=10.0)
        self.oauth = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            scope="openid profile",
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
            timeout=10.0,
        )
        self._metadata: dict[str, Any] | None = None
        self._jwks: JwksCache | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            response = await self.http.get(f"{self.issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            self._metadata = response.json()
            self._jwks = JwksCache(self._metadata["jwks_uri"], self.http)
        return self._metadata

    async def authorization_url(self, challenge: LoginChallenge, redirect_uri: str) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        url, _ = self.oauth.create_authorization_url(
            endpoint,
            state=challenge.state,
            code_verifier=challenge.code_verifier,
            nonce=challenge.nonce,
            redirect_uri=redirect_uri,
            acr_values=self.minimum_acr,
        )
        return self._for_browser(str(url))

    async def redeem(self, code: str, challenge: LoginChallenge, redirect_uri: str) -> IdentityClaims:
        metadata = await self.metadata()
        try:
            token = await self.oauth.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=challenge.code_verifier,
                redirect_uri=redirect_uri,
            )
        except (AuthlibBaseError, httpx.HTTPError, ValueError) as exc:
            raise _refused("The provider did not accept the login code") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _refused("The provider returned no ID token")
        assert self._jwks is not None
        try:
            claims = await self._jwks.decode(
                id_token,
                issuer=self.issuer,
                audience=self.client_id,
                require=("exp", "iat", "iss", "aud", "sub"),
            )
        except TokenRefused as exc:
            raise _refused(f"The ID token is not valid: {exc}") from exc
        return IdentityClaims(
            pid=_text(claims.get("pid")),
            acr=_text(claims.get("acr")),
            nonce=_text(claims.get("nonce")),
            id_token=id_token,
        )

    async def logout_url(self, id_token: str | None, post_logout_redirect_uri: str, state: str) -> str | None:
        endpoint = (await self.metadata()).get("end_session_endpoint")
        if not endpoint:
            return None
        query = {
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "state": state,
            "client_id": self.client_id,
        }
        if id_token:
            query["id_token_hint"] = id_token
        return self._for_browser(f"{endpoint}?{urlencode(query)}")

    def _for_browser(self, url: str) -> str:
        """The browser reaches the provider by its public name; this service by its internal one."""
        if url.startswith(self.issuer):
            return self.browser_issuer + url[len(self.issuer) :]
        return url

    async def aclose(self) -> None:
        await self.oauth.aclose()
        await self.http.aclose()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None

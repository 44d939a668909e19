"""Logging in and out through the identity provider, and the portal session that results."""

from __future__ import annotations

import secrets

from ..domain.login import IdentityClaims, LoginChallenge, check_identity
from ..domain.refusals import Refusal, RefusalReason, Refused
from ..domain.sessions import Session
from .ports import IdentityProvider, SessionRepository

__all__ = ["Login"]

STATE_MISMATCH = Refusal(
    "LOGIN-STATE",
    "The login did not start here, or was already completed",
    RefusalReason.FORBIDDEN,
    title="Login refused",
)


class Login:
    def __init__(
        self,
        identity: IdentityProvider,
        sessions: SessionRepository,
        *,
        callback_url: str,
        post_logout_url: str,
        minimum_acr: str,
    ) -> None:
        self.identity = identity
        self.sessions = sessions
        self.callback_url = callback_url
        self.post_logout_url = post_logout_url
        self.minimum_acr = minimum_acr

    async def begin(self, return_url: str) -> tuple[str, LoginChallenge]:
        """A fresh state, nonce and PKCE verifier, and the provider URL that carries them."""
        challenge = LoginChallenge(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            return_url=return_url,
        )
        return await self.identity.authorization_url(challenge, self.callback_url), challenge

    async def complete(self, code: str, state: str, challenge: LoginChallenge | None) -> Session:
        """A new session for the person the provider vouches for; Refused, and no session, otherwise."""
        if challenge is None or not secrets.compare_digest(state, challenge.state):
            raise Refused(STATE_MISMATCH)
        claims: IdentityClaims = await self.identity.redeem(code, challenge, self.callback_url)
        refusal = check_identity(claims, challenge, self.minimum_acr)
        if refusal is not None:
            raise Refused(refusal)
        assert claims.pid is not None
        # Always a new session id at login: a cookie planted before login never becomes authenticated.
        return await self.sessions.create(claims.pid, claims.id_token)

    async def end(self, session: Session | None, state: str) -> str | None:
        """Delete the portal session; where to end the provider's session (None: nowhere)."""
        if session is None:
            return None
        await self.sessions.delete(session.id)
        return await self.identity.logout_url(session.id_token, self.post_logout_url, state)

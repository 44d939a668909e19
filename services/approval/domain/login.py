"""Logging a person in through OpenID Connect: what is carried across the round trip and
what an ID token must say before the portal trusts it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .refusals import Refusal, RefusalReason

__all__ = ["ACR_LEVELS", "NO_CODE", "IdentityClaims", "LoginChallenge", "check_identity"]

# ID-porten's levels of assurance, weakest first.
ACR_LEVELS = ("idporten-loa-low", "idporten-loa-substantial", "idporten-loa-high")
PID = re.compile(r"[0-9]{11}")


@dataclass(frozen=True)
class LoginChallenge:
    """What the portal remembers between sending the browser to the provider and its return."""

    state: str
    nonce: str
    code_verifier: str
    return_url: str


@dataclass(frozen=True)
class IdentityClaims:
    """The claims of a verified ID token (signature, issuer, audience and expiry already checked)."""

    pid: str | None
    acr: str | None
    nonce: str | None
    id_token: str


def _refused(detail: str) -> Refusal:
    return Refusal("LOGIN-REFUSED", detail, RefusalReason.FORBIDDEN, title="Login refused")


NO_CODE = _refused("The provider ended the login without a code")


def check_identity(claims: IdentityClaims, challenge: LoginChallenge, minimum_acr: str) -> Refusal | None:
    """The token belongs to this login, vouches for a person, at a high enough level."""
    if claims.nonce != challenge.nonce:
        return _refused("The ID token was not issued for this login (nonce)")
    if claims.acr not in ACR_LEVELS or ACR_LEVELS.index(claims.acr) < ACR_LEVELS.index(minimum_acr):
        return _refused(f"The login's level of assurance ({claims.acr}) is below {minimum_acr}")
    if claims.pid is None or not PID.fullmatch(claims.pid):
        return _refused("The ID token names no person (pid)")
    return None

"""Verification of Maskinporten-shaped bearer tokens (PyJWT against a JWKS)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from shared.problems import Problem

from ..domain.references import vendor_org_from_id

__all__ = [
    "SCOPE_REGISTER_WRITE",
    "SCOPE_REQUEST_READ",
    "SCOPE_REQUEST_WRITE",
    "JwksTokenVerifier",
    "TokenVerifier",
    "Vendor",
    "unauthorized",
]

SCOPE_REGISTER_WRITE = "altinn:authentication/systemregister.write"
SCOPE_REQUEST_WRITE = "altinn:authentication/systemuser.request.write"
SCOPE_REQUEST_READ = "altinn:authentication/systemuser.request.read"


@dataclass(frozen=True)
class Vendor:
    """The calling vendor, as its verified token says."""

    org_no: str
    scopes: frozenset[str]


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, code="AUTH-00023")


class TokenVerifier:
    """Checks a token's signature, issuer and lifetime against a JWKS; returns the vendor."""

    def __init__(self, jwks: dict[str, Any], issuers: list[str]) -> None:
        self._keys = {
            k.get("kid"): jwt.PyJWK.from_dict(k) for k in jwks.get("keys", []) if k.get("kty") == "RSA"
        }
        self._issuers = issuers

    @classmethod
    def from_file(cls, path: Path, issuers: list[str]) -> TokenVerifier:
        return cls(json.loads(path.read_text()), issuers)

    def verify(self, token: str) -> Vendor:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(header.get("kid"))
            if key is None:
                raise jwt.InvalidTokenError("unknown key id")
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuers,
                options={"require": ["exp", "iss", "iat"], "verify_aud": False},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise unauthorized(f"Invalid token: {exc}") from exc
        consumer = claims.get("consumer")
        org_no = vendor_org_from_id(str(consumer.get("ID", ""))) if isinstance(consumer, dict) else None
        if org_no is None:
            raise unauthorized("The token has no valid consumer claim")
        scopes = frozenset(str(claims.get("scope", "")).split())
        return Vendor(org_no=org_no, scopes=scopes)


class JwksTokenVerifier:
    """A TokenVerifier over a JWKS file that is read when the service starts, not when it is built.

    Building the service (for its AsyncAPI or OpenAPI document, say) must not need the file.
    """

    def __init__(self, jwks_file: Path, issuers: list[str]) -> None:
        self._jwks_file = jwks_file
        self._issuers = issuers
        self._verifier: TokenVerifier | None = None

    def load(self) -> None:
        self._verifier = TokenVerifier.from_file(self._jwks_file, self._issuers)

    def verify(self, token: str) -> Vendor:
        if self._verifier is None:
            raise RuntimeError("the token keys are loaded when the service starts")
        return self._verifier.verify(token)

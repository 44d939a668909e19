"""Verification of Maskinporten-shaped bearer tokens (PyJWT against a JWKS)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from fastapi import Request

from shared.problems import Problem

from .rules import vendor_org_from_id

SCOPE_REGISTER_WRITE = "altinn:authentication/systemregister.write"
SCOPE_REQUEST_WRITE = "altinn:authentication/systemuser.request.write"
SCOPE_REQUEST_READ = "altinn:authentication/systemuser.request.read"


@dataclass(frozen=True)
class Vendor:
    """The calling vendor, as its verified token says."""

    org_no: str
    scopes: frozenset[str]


class TokenVerifier:
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
            raise _unauthorized(f"Invalid token: {exc}") from exc
        consumer = claims.get("consumer")
        org_no = vendor_org_from_id(str(consumer.get("ID", ""))) if isinstance(consumer, dict) else None
        if org_no is None:
            raise Problem(401, "Unauthorized", "The token has no valid consumer claim", code="AUTH-00023")
        scopes = frozenset(str(claims.get("scope", "")).split())
        return Vendor(org_no=org_no, scopes=scopes)


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, code="AUTH-00023")


def require_scope(scope: str) -> Any:
    """FastAPI dependency: the verified vendor, who must hold ``scope``."""

    def dependency(request: Request) -> Vendor:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("A bearer token is required")
        verifier: TokenVerifier = request.app.state.verifier
        vendor = verifier.verify(token.strip())
        if scope not in vendor.scopes:
            raise Problem(403, "Forbidden", f"The token lacks the scope {scope}")
        return vendor

    return dependency

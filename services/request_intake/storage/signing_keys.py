"""The keys system-user tokens are signed with (ES256), derived from the service's secret setting.

``INTAKE_SYSTEMUSER_SIGNING_KEYS`` holds one or more random secrets (at least 32 characters each,
separated by commas), like every other secret of the service: ``sysaccess compose env`` and the
local runners generate them, and the service refuses to start without one unless
``SYSACCESS_ENV=local``. Each secret is stretched with HKDF-SHA256 into a P-256 private key, so
every instance given the same secrets signs with, and publishes, the same keys.

The **first** secret signs; **all** are published at the JWKS URL, each under its RFC 7638
thumbprint as ``kid``. Rotation: ``old,new`` (the new key is published before it signs), then
``new,old`` (it signs; tokens signed by the old one stay verifiable until they expire), then
``new``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..domain.system_users import SystemUserTokenInvalid

__all__ = ["ALGORITHM", "MIN_SECRET_LENGTH", "SigningKeys", "parse_secrets"]

ALGORITHM = "ES256"
MIN_SECRET_LENGTH = 32
# The order of P-256's base point: a private key is an integer in [1, N - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HKDF_INFO = b"sysaccess system-user token signing key, ES256, v1"


def parse_secrets(setting: str) -> list[str]:
    """The secrets of the setting, in order; refuse short ones and an empty list."""
    secrets = [s.strip() for s in setting.split(",") if s.strip()]
    if not secrets:
        raise ValueError("INTAKE_SYSTEMUSER_SIGNING_KEYS is empty: system-user tokens need a signing key")
    short = [i for i, s in enumerate(secrets, 1) if len(s) < MIN_SECRET_LENGTH]
    if short:
        raise ValueError(
            f"INTAKE_SYSTEMUSER_SIGNING_KEYS: key(s) {short} are shorter than {MIN_SECRET_LENGTH} characters"
        )
    if len(set(secrets)) != len(secrets):
        raise ValueError("INTAKE_SYSTEMUSER_SIGNING_KEYS names a key twice")
    return secrets


def _private_key(secret: str) -> ec.EllipticCurvePrivateKey:
    # 384 bits of HKDF output reduced modulo N - 1: the bias is far below 2^-128.
    material = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=_HKDF_INFO).derive(secret.encode())
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def _segment(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@dataclass(frozen=True)
class _Key:
    kid: str
    private: ec.EllipticCurvePrivateKey
    public: ec.EllipticCurvePublicKey
    jwk: dict[str, str]


def _key(secret: str) -> _Key:
    private = _private_key(secret)
    public = private.public_key()
    numbers = public.public_numbers()
    members = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x), "y": _b64(numbers.y)}
    # RFC 7638: the SHA-256 of the required members, sorted, without whitespace.
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return _Key(kid, private, public, {**members, "kid": kid, "use": "sig", "alg": ALGORITHM})


class SigningKeys:
    """Implements ``services.ports.TokenSigner``."""

    def __init__(self, secrets: Sequence[str], *, leeway_seconds: float = 5.0) -> None:
        keys = [_key(s) for s in parse_secrets(",".join(secrets))]
        self._signing = keys[0]
        header = {"alg": ALGORITHM, "kid": self._signing.kid, "typ": "JWT"}
        self._header = _segment(json.dumps(header, separators=(",", ":")).encode())
        self._by_kid = {k.kid: k for k in keys}
        self._jwks: dict[str, Any] = {"keys": [k.jwk for k in keys]}
        self._leeway = leeway_seconds

    @classmethod
    def from_setting(cls, setting: str) -> SigningKeys:
        return cls(parse_secrets(setting))

    @property
    def current_kid(self) -> str:
        return self._signing.kid

    def sign(self, claims: Mapping[str, object]) -> str:
        # A compact JWS (RFC 7515) signed directly: on the token endpoint's path, PyJWT's
        # generality costs a third of the signing time.
        payload = _segment(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self._header + b"." + payload
        r, s = decode_dss_signature(self._signing.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return (signing_input + b"." + _segment(r.to_bytes(32, "big") + s.to_bytes(32, "big"))).decode()

    def verify(self, token: str, *, issuer: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise SystemUserTokenInvalid("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise SystemUserTokenInvalid(f"algorithm {header.get('alg')!r} not accepted")
        key = self._by_kid.get(str(header.get("kid", "")))
        if key is None:
            raise SystemUserTokenInvalid("unknown signing key (not one of the published keys)")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public,
                algorithms=[ALGORITHM],
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SystemUserTokenInvalid("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise SystemUserTokenInvalid(str(exc)) from exc
        return claims

    def jwks(self) -> dict[str, Any]:
        return self._jwks

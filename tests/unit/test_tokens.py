"""Vendor tokens at the intake: what a Maskinporten-shaped token must be, and every way one is refused.

The JWKS is served from memory; the tokens here are signed by the test itself, as an attacker
or a misconfigured client would. Tokens from the real provider are used by every other tier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.request_intake.domain.vendors import Vendor
from services.request_intake.handlers.auth import SCOPE_REGISTER_WRITE, SCOPE_REQUEST_WRITE
from services.request_intake.storage.vendor_tokens import ProviderTokens
from shared.jwks import TokenRefused

pytestmark = pytest.mark.unit
ISSUER = "https://maskinporten.test/"
AUDIENCE = "sysaccess-intake"
SMARTCLOUD = "314000110"
SCOPES = f"{SCOPE_REGISTER_WRITE} {SCOPE_REQUEST_WRITE}"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = int(time.time())


def jwks_handler(request: httpx.Request) -> httpx.Response:
    entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return httpx.Response(
        200, json={"keys": [{**entry, "kid": "mp", "alg": "RS256"}, {"kty": "oct", "k": "x"}]}
    )


def verifier(max_lifetime: int = 300) -> ProviderTokens:
    tokens = ProviderTokens(
        issuer=ISSUER,
        jwks_url="https://maskinporten.test/jwk",
        audience=AUDIENCE,
        max_lifetime_seconds=max_lifetime,
    )
    tokens.http = httpx.AsyncClient(transport=httpx.MockTransport(jwks_handler))
    tokens.jwks.http = tokens.http
    return tokens


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 120,
        "scope": SCOPES,
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{SMARTCLOUD}"},
        "client_id": SMARTCLOUD,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: rsa.RSAPrivateKey = KEY, kid: str | None = "mp") -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm="RS256", headers=headers)


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def refused(token: str, tokens: ProviderTokens | None = None) -> TokenRefused:
    with pytest.raises(TokenRefused) as caught:
        await (tokens or verifier()).verify(token)
    return caught.value


async def test_a_valid_token_names_the_vendor_and_its_scopes() -> None:
    found = await verifier().verify(sign(claims()))
    assert found == Vendor(SMARTCLOUD, frozenset(SCOPES.split()), client_id=SMARTCLOUD)


async def test_a_verified_token_is_remembered_until_it_expires() -> None:
    tokens = verifier()
    token = sign(claims())
    for _ in range(5):
        await tokens.verify(token)
    assert tokens.jwks.fetches == 1
    assert len(tokens._verified) == 1


async def test_a_token_without_scope_has_none() -> None:
    found = await verifier().verify(sign(claims(scope=None)))
    assert found.scopes == frozenset()


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"iss": "https://evil.test/"}, "wrong issuer"),
        ({"iss": "http://127.0.0.1:18080/idporten"}, "an ID-porten token at the vendor API"),
        ({"aud": "another-api"}, "wrong audience"),
        ({"aud": None}, "no audience"),
        ({"exp": NOW - 600, "iat": NOW - 700}, "expired"),
        ({"nbf": NOW + 600}, "not yet valid"),
        ({"iat": None}, "no iat"),
        ({"exp": None}, "no exp"),
        ({"exp": NOW + 10 * 365 * 86400}, "a ten-year token"),
        ({"consumer": None}, "no consumer"),
        ({"consumer": "0192:314000110"}, "consumer not an object"),
        ({"consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:12345"}}, "short org number"),
        ({"consumer": {"authority": "iso6523-actorid-upis", "ID": "9908:314000110"}}, "wrong scheme"),
        ({"consumer": {"authority": "other", "ID": "0192:314000110"}}, "wrong authority"),
    ],
)
async def test_refused_claims(overrides: dict[str, Any], why: str) -> None:
    # Times in the table are relative to NOW (when the module was collected); shift them to now,
    # so a suite that reaches this test much later tests the same distances.
    shift = int(time.time()) - NOW
    moved = {
        k: v + shift if k in ("exp", "iat", "nbf") and isinstance(v, int) else v for k, v in overrides.items()
    }
    await refused(sign(claims(**moved)))


async def test_a_lifetime_over_the_configured_maximum_is_refused() -> None:
    assert "longer than" in str(await refused(sign(claims()), verifier(max_lifetime=60)))


async def test_signed_by_another_key_or_unknown_kid_or_no_kid() -> None:
    await refused(sign(claims(), key=STRANGER))
    await refused(sign(claims(), kid="unknown"))
    await refused(sign(claims(), kid=None))


async def test_alg_none_and_hs256_with_the_public_key_are_refused() -> None:
    await refused(f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'mp'})}.{b64(claims())}.")
    public = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header, body = b64({"alg": "HS256", "typ": "JWT", "kid": "mp"}), b64(claims())
    mac = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    await refused(f"{header}.{body}.{b64(mac)}")


async def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = sign(claims()).split(".")
    forged = b64(claims(consumer={"authority": "iso6523-actorid-upis", "ID": "0192:313222225"}))
    await refused(f"{header}.{forged}.{signature}")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "....", "ey.ey.ey"])
async def test_malformed_tokens(token: str) -> None:
    await refused(token)

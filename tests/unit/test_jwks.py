"""JWT verification against a cached JWKS: what is refused, and when the keys are fetched again."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.jwks import JwksCache, TokenRefused

pytestmark = pytest.mark.unit
ISSUER, AUDIENCE = "https://idp.test/maskinporten", "sysaccess-intake"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """A JWKS endpoint whose keys the test rotates."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": new_key()}
        self.requests = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        jwks = []
        for kid, key in self.keys.items():
            entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            jwks.append({**entry, "kid": kid, "alg": "RS256", "use": "sig"})
        return httpx.Response(200, json={"keys": jwks})

    def token(self, kid: str = "k1", key: rsa.RSAPrivateKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 120, "sub": "x", **overrides}
        return jwt.encode(claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Provider:
    return Provider()


def cache_of(provider: Provider, clock: list[float] | None = None) -> JwksCache:
    now = clock or [1000.0]
    http = httpx.AsyncClient(transport=httpx.MockTransport(provider.handler))
    return JwksCache("https://idp.test/jwks", http, min_refetch_seconds=10, clock=lambda: now[0])


async def decode(cache: JwksCache, token: str) -> dict[str, Any]:
    return await cache.decode(token, issuer=ISSUER, audience=AUDIENCE)


async def test_a_good_token_verifies_with_one_fetch(provider: Provider) -> None:
    cache = cache_of(provider)
    assert (await decode(cache, provider.token()))["sub"] == "x"
    assert (await decode(cache, provider.token()))["sub"] == "x"
    assert provider.requests == 1


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def unsigned(claims: dict[str, Any]) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"k1"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}."


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: tampered(p.token()), id="tampered payload"),
        pytest.param(
            lambda p: unsigned({"iss": ISSUER, "aud": AUDIENCE, "exp": 9e9, "iat": 0}), id="alg none"
        ),
        pytest.param(lambda p: p.token(iss="https://evil.test"), id="wrong issuer"),
        pytest.param(lambda p: p.token(aud="another-api"), id="wrong audience"),
        pytest.param(lambda p: p.token(exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda p: p.token(key=new_key()), id="signed by a stranger"),
        pytest.param(lambda p: "not.a.jwt", id="garbage"),
    ],
)
async def test_refused(provider: Provider, make: Any) -> None:
    with pytest.raises(TokenRefused):
        await decode(cache_of(provider), make(provider))


async def test_a_new_kid_is_picked_up_without_a_restart(provider: Provider) -> None:
    cache = cache_of(provider)
    await decode(cache, provider.token())
    provider.keys["k2"] = new_key()
    assert (await decode(cache, provider.token("k2")))["sub"] == "x"
    assert provider.requests == 2


async def test_a_key_rotated_under_the_same_kid_is_picked_up(provider: Provider) -> None:
    cache = cache_of(provider)
    await decode(cache, provider.token())
    provider.keys["k1"] = new_key()
    assert (await decode(cache, provider.token()))["sub"] == "x"


async def test_unknown_kids_cannot_make_the_cache_hammer_the_provider(provider: Provider) -> None:
    clock = [1000.0]
    cache = cache_of(provider, clock)
    await decode(cache, provider.token())
    for n in range(50):
        with pytest.raises(TokenRefused):
            await decode(cache, provider.token(kid=f"unknown-{n}", key=new_key()))
    assert provider.requests == 2  # the first fetch and one refetch in the window
    clock[0] += 11
    with pytest.raises(TokenRefused):
        await decode(cache, provider.token(kid="unknown-late", key=new_key()))
    assert provider.requests == 3

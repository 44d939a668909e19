"""TokenVerifier: Maskinporten-shaped tokens signed with the development key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest

from services.request_intake.handlers.auth import (
    SCOPE_REGISTER_WRITE,
    SCOPE_REQUEST_READ,
    SCOPE_REQUEST_WRITE,
    TokenVerifier,
    Vendor,
)
from shared.devkeys import DEV_ISSUER, DEV_KEY_ID, ensure_dev_keys, mint_token
from shared.problems import Problem

SMARTCLOUD = "314000110"
SCOPES = [SCOPE_REGISTER_WRITE, SCOPE_REQUEST_WRITE]


@dataclass(frozen=True)
class Keys:
    private_pem: bytes
    jwks_path: Path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    private_path, jwks_path = ensure_dev_keys(tmp_path_factory.mktemp("keys"))
    return Keys(private_path.read_bytes(), jwks_path)


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    private_path, jwks_path = ensure_dev_keys(tmp_path_factory.mktemp("other-keys"))
    return Keys(private_path.read_bytes(), jwks_path)


@pytest.fixture(scope="module")
def verifier(keys: Keys) -> TokenVerifier:
    return TokenVerifier.from_file(keys.jwks_path, [DEV_ISSUER])


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        "scope": " ".join(SCOPES),
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{SMARTCLOUD}"},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], private_pem: bytes, kid: str = DEV_KEY_ID) -> str:
    return jwt.encode(payload, private_pem, algorithm="RS256", headers={"kid": kid})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def rejected(verifier: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as caught:
        verifier.verify(token)
    return caught.value


# --- accepted -----------------------------------------------------------------------------


def test_valid_token(verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES)
    assert verifier.verify(token) == Vendor(org_no=SMARTCLOUD, scopes=frozenset(SCOPES))


@pytest.mark.parametrize(
    "scopes",
    [
        pytest.param([], id="none"),
        pytest.param([SCOPE_REQUEST_READ], id="one"),
        pytest.param([SCOPE_REGISTER_WRITE, SCOPE_REQUEST_WRITE, SCOPE_REQUEST_READ], id="all"),
    ],
)
def test_scopes_are_split(scopes: list[str], verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no="313222225", scopes=scopes)
    vendor = verifier.verify(token)
    assert vendor.org_no == "313222225"
    assert vendor.scopes == frozenset(scopes)


def test_any_configured_issuer_is_accepted(keys: Keys) -> None:
    verifier = TokenVerifier.from_file(keys.jwks_path, ["https://other/", DEV_ISSUER])
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES)
    assert verifier.verify(token).org_no == SMARTCLOUD


def test_recently_expired_token_within_leeway(verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES, lifetime_seconds=-5)
    assert verifier.verify(token).org_no == SMARTCLOUD


def test_verifier_from_dict_ignores_non_rsa_keys(keys: Keys) -> None:
    jwks = json.loads(keys.jwks_path.read_text())
    jwks["keys"].append({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"})
    verifier = TokenVerifier(jwks, [DEV_ISSUER])
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES)
    assert verifier.verify(token).org_no == SMARTCLOUD
    hmac_token = jwt.encode(
        claims(), "secret-secret-secret-secret-1234", algorithm="HS256", headers={"kid": "hmac"}
    )
    assert rejected(verifier, hmac_token).status == 401


# --- refused (401) ------------------------------------------------------------------------


def test_expired_token(verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES, lifetime_seconds=-120)
    problem = rejected(verifier, token)
    assert (problem.status, problem.code) == (401, "AUTH-00023")


@pytest.mark.parametrize(
    "issuer",
    [
        pytest.param("https://evil.example/", id="other"),
        pytest.param(DEV_ISSUER.rstrip("/"), id="no-trailing-slash"),
        pytest.param(DEV_ISSUER.upper(), id="upper"),
        pytest.param("", id="empty"),
    ],
)
def test_wrong_issuer(issuer: str, verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES, issuer=issuer)
    problem = rejected(verifier, token)
    assert (problem.status, problem.code) == (401, "AUTH-00023")


def test_signed_with_another_key(verifier: TokenVerifier, other_keys: Keys) -> None:
    token = mint_token(other_keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES)
    problem = rejected(verifier, token)
    assert (problem.status, problem.code) == (401, "AUTH-00023")


def test_unknown_key_id(verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES, key_id="other-kid")
    problem = rejected(verifier, token)
    assert (problem.status, problem.code) == (401, "AUTH-00023")


def test_missing_key_id(verifier: TokenVerifier, keys: Keys) -> None:
    token = jwt.encode(claims(), keys.private_pem, algorithm="RS256")
    assert rejected(verifier, token).status == 401


@pytest.mark.parametrize(
    "consumer",
    [
        pytest.param(None, id="missing"),
        pytest.param("0192:314000110", id="string"),
        pytest.param(["0192:314000110"], id="list"),
        pytest.param({}, id="empty-object"),
        pytest.param({"authority": "iso6523-actorid-upis"}, id="no-id"),
        pytest.param({"ID": "314000110"}, id="no-prefix"),
        pytest.param({"ID": "0192:314000111"}, id="bad-check-digit"),
        pytest.param({"ID": "9908:314000110"}, id="other-scheme"),
        pytest.param({"ID": "0192:"}, id="empty-org"),
        pytest.param({"ID": "garbage"}, id="garbage"),
        pytest.param({"ID": None}, id="null-id"),
        pytest.param({"ID": 314000110}, id="number-id"),
        pytest.param({"id": "0192:314000110"}, id="lower-case-key"),
    ],
)
def test_bad_consumer_claim(consumer: Any, verifier: TokenVerifier, keys: Keys) -> None:
    payload = claims()
    if consumer is None:
        del payload["consumer"]
    else:
        payload["consumer"] = consumer
    problem = rejected(verifier, sign(payload, keys.private_pem))
    assert (problem.status, problem.code) == (401, "AUTH-00023")


@pytest.mark.parametrize("claim", ["exp", "iss", "iat"])
def test_required_claim_missing(claim: str, verifier: TokenVerifier, keys: Keys) -> None:
    payload = claims()
    del payload[claim]
    problem = rejected(verifier, sign(payload, keys.private_pem))
    assert (problem.status, problem.code) == (401, "AUTH-00023")


def test_not_yet_valid(verifier: TokenVerifier, keys: Keys) -> None:
    now = int(time.time())
    payload = claims(nbf=now + 600, exp=now + 1200)
    assert rejected(verifier, sign(payload, keys.private_pem)).status == 401


def test_alg_none(verifier: TokenVerifier) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": DEV_KEY_ID}
    token = f"{b64(header)}.{b64(claims())}."
    problem = rejected(verifier, token)
    assert (problem.status, problem.code) == (401, "AUTH-00023")


def test_alg_none_via_pyjwt(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), "", algorithm="none", headers={"kid": DEV_KEY_ID})
    assert rejected(verifier, token).status == 401


def test_hs256_signed_with_public_key(verifier: TokenVerifier, keys: Keys) -> None:
    """Key confusion: HMAC over the public JWKS text must not verify."""
    secret = keys.jwks_path.read_text()
    header = {"alg": "HS256", "typ": "JWT", "kid": DEV_KEY_ID}
    unsigned = f"{b64(header)}.{b64(claims())}"
    signature = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).digest()
    token = unsigned + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert rejected(verifier, token).status == 401


def test_tampered_payload(verifier: TokenVerifier, keys: Keys) -> None:
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES)
    header, _, signature = token.split(".")
    forged = claims(consumer={"authority": "iso6523-actorid-upis", "ID": "0192:313222225"})
    problem = rejected(verifier, f"{header}.{b64(forged)}.{signature}")
    assert (problem.status, problem.code) == (401, "AUTH-00023")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="garbage"),
        pytest.param("a.b.c", id="three-garbage-parts"),
        pytest.param("a.b", id="two-parts"),
        pytest.param("....", id="dots"),
        pytest.param(b64({"alg": "RS256", "kid": DEV_KEY_ID}) + ".e30.", id="no-signature"),
    ],
)
def test_malformed_token(token: str, verifier: TokenVerifier) -> None:
    problem = rejected(verifier, token)
    assert (problem.status, problem.code) == (401, "AUTH-00023")


def test_empty_jwks_refuses_everything(keys: Keys) -> None:
    verifier = TokenVerifier({}, [DEV_ISSUER])
    token = mint_token(keys.private_pem, org_no=SMARTCLOUD, scopes=SCOPES)
    assert rejected(verifier, token).status == 401


def test_ensure_dev_keys_is_idempotent(tmp_path: Path) -> None:
    first = ensure_dev_keys(tmp_path)
    pem = first[0].read_bytes()
    second = ensure_dev_keys(tmp_path)
    assert first == second
    assert second[0].read_bytes() == pem
    jwks = json.loads(second[1].read_text())
    assert [k["kid"] for k in jwks["keys"]] == [DEV_KEY_ID]
    assert "d" not in jwks["keys"][0]  # public key only

"""The local OpenID Connect provider (mock-oauth2-server) issues what the services will check:
Maskinporten-shaped vendor tokens by client credentials, and ID-porten-shaped ID tokens after a
login through its own form, each verifiable against the issuer's JWKS."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from sysaccess import infra, oidc
from sysaccess.profiles import TEST
from tests.support.infra import Endpoints

SMARTCLOUD = "314000110"
DRESS_MINST = "12887010186"
SCOPES = ["altinn:authentication/systemregister.write", "altinn:authentication/systemuser.request.read"]
PORTAL = "sysaccess-portal"


def _discovery(endpoints: Endpoints, issuer_id: str) -> dict[str, Any]:
    response = httpx.get(f"{endpoints.oidc_url}/{issuer_id}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def _verify(token: str, issuer: str, jwks_uri: str, audience: str) -> dict[str, Any]:
    key = jwt.PyJWKClient(jwks_uri, cache_keys=False).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=issuer,
        audience=audience,
        options={"require": ["exp", "iat", "nbf", "iss", "aud"]},
    )
    return claims


@pytest.fixture(scope="module")
def maskinporten(endpoints: Endpoints) -> dict[str, Any]:
    return _discovery(endpoints, oidc.MASKINPORTEN)


@pytest.fixture(scope="module")
def idporten(endpoints: Endpoints) -> dict[str, Any]:
    return _discovery(endpoints, oidc.IDPORTEN)


def test_discovery_names_loopback_endpoints(endpoints: Endpoints, idporten: dict[str, Any]) -> None:
    assert idporten["issuer"] == f"{endpoints.oidc_url}/idporten"
    assert endpoints.oidc_url.startswith("http://127.0.0.1:")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"):
        assert idporten[field].startswith(f"{endpoints.oidc_url}/idporten/")
    assert "S256" in idporten["code_challenge_methods_supported"]


@pytest.mark.parametrize("method", ["client_secret", "client_assertion", "jwt_bearer"])
def test_vendor_token_by_client_credentials_carries_the_org(
    endpoints: Endpoints, maskinporten: dict[str, Any], method: str
) -> None:
    token = oidc.vendor_token(endpoints.oidc_url, SMARTCLOUD, SCOPES, method=method)

    claims = _verify(token, maskinporten["issuer"], maskinporten["jwks_uri"], oidc.VENDOR_AUDIENCE)
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{SMARTCLOUD}"}
    assert claims["scope"].split() == SCOPES
    assert claims["client_id"] == SMARTCLOUD
    assert claims["exp"] - claims["iat"] == oidc.MASKINPORTEN_TOKEN_SECONDS
    assert jwt.get_unverified_header(token)["kid"] == oidc.MASKINPORTEN


def test_any_org_gets_its_own_consumer(endpoints: Endpoints, maskinporten: dict[str, Any]) -> None:
    token = oidc.vendor_token(endpoints.oidc_url, "313222225", SCOPES[:1])
    claims = _verify(token, maskinporten["issuer"], maskinporten["jwks_uri"], oidc.VENDOR_AUDIENCE)
    assert claims["consumer"]["ID"] == "0192:313222225"


def test_resource_parameter_sets_the_audience(endpoints: Endpoints, maskinporten: dict[str, Any]) -> None:
    token = oidc.vendor_token(
        endpoints.oidc_url, SMARTCLOUD, SCOPES, resource="https://elsewhere.example/api"
    )
    claims = _verify(token, maskinporten["issuer"], maskinporten["jwks_uri"], "https://elsewhere.example/api")
    assert claims["consumer"]["ID"] == f"0192:{SMARTCLOUD}"
    with pytest.raises(jwt.InvalidAudienceError):
        _verify(token, maskinporten["issuer"], maskinporten["jwks_uri"], oidc.VENDOR_AUDIENCE)


def test_a_client_that_is_no_org_gets_no_consumer(endpoints: Endpoints, maskinporten: dict[str, Any]) -> None:
    response = httpx.post(
        maskinporten["token_endpoint"],
        data={"grant_type": "client_credentials", "client_id": "someone", "client_secret": "x", "scope": "a"},
        timeout=10,
    )
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert "consumer" not in claims
    assert "aud" not in claims


def test_vendor_token_does_not_verify_as_an_idporten_token(
    endpoints: Endpoints, maskinporten: dict[str, Any], idporten: dict[str, Any]
) -> None:
    token = oidc.vendor_token(endpoints.oidc_url, SMARTCLOUD, SCOPES)
    with pytest.raises(jwt.PyJWKClientError):  # kid "maskinporten" is not in the idporten JWKS
        _verify(token, idporten["issuer"], idporten["jwks_uri"], oidc.VENDOR_AUDIENCE)


def test_person_logs_in_through_the_login_form(endpoints: Endpoints, idporten: dict[str, Any]) -> None:
    login = oidc.person_login(endpoints.oidc_url, DRESS_MINST, client_id=PORTAL)

    claims = _verify(login.id_token, idporten["issuer"], idporten["jwks_uri"], PORTAL)
    assert claims["pid"] == DRESS_MINST
    assert claims["sub"] == DRESS_MINST
    assert claims["acr"] == oidc.ACR_SUBSTANTIAL
    assert claims["nonce"] == login.nonce
    assert jwt.get_unverified_header(login.id_token)["kid"] == oidc.IDPORTEN


def test_the_form_cannot_lower_acr_or_change_pid_of_a_pid_login(endpoints: Endpoints) -> None:
    login = oidc.person_login(
        endpoints.oidc_url, DRESS_MINST, claims_json='{"acr": "idporten-loa-low", "pid": "03897610069"}'
    )
    claims = jwt.decode(login.id_token, options={"verify_signature": False})
    assert (claims["pid"], claims["acr"]) == (DRESS_MINST, oidc.ACR_SUBSTANTIAL)


def test_a_non_pid_username_takes_pid_and_acr_from_the_form(endpoints: Endpoints) -> None:
    login = oidc.person_login(
        endpoints.oidc_url, "low-acr", claims_json=f'{{"pid": "{DRESS_MINST}", "acr": "idporten-loa-low"}}'
    )
    claims = jwt.decode(login.id_token, options={"verify_signature": False})
    assert (claims["sub"], claims["pid"], claims["acr"]) == ("low-acr", DRESS_MINST, "idporten-loa-low")


def test_a_code_is_redeemed_once_and_only_with_its_verifier(
    endpoints: Endpoints, idporten: dict[str, Any]
) -> None:
    verifier, challenge = oidc.pkce_pair()
    redirect = "http://127.0.0.1/callback"
    params = {
        "client_id": PORTAL,
        "response_type": "code",
        "redirect_uri": redirect,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with httpx.Client(timeout=10) as client:

        def code() -> str:
            done = client.post(
                idporten["authorization_endpoint"], params=params, data={"username": DRESS_MINST}
            )
            return httpx.URL(done.headers["location"]).params["code"]

        def redeem(value: str, code_verifier: str) -> httpx.Response:
            return client.post(
                idporten["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": value,
                    "redirect_uri": redirect,
                    "code_verifier": code_verifier,
                },
                auth=(PORTAL, "x"),
            )

        first = code()
        assert redeem(first, verifier).status_code == 200
        replay = redeem(first, verifier)
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"
        wrong = redeem(code(), oidc.pkce_pair()[0])
        assert wrong.status_code == 400
        assert "pkce" in wrong.json()["error_description"]


@pytest.fixture
def own_provider() -> Iterator[infra.InfraLayout]:
    """A provider of this test's own, so restarting it disturbs no other test."""
    layout = dataclasses.replace(TEST.infra, data_dir=TEST.var / "oidc-rotation", oidc_port=infra.free_port())
    shutil.rmtree(layout.data_dir, ignore_errors=True)
    infra.start_oidc(layout)
    try:
        yield layout
    finally:
        infra.stop_oidc(layout)


def test_a_restart_rotates_the_signing_key(own_provider: infra.InfraLayout) -> None:
    layout = own_provider
    jwks_uri = f"{layout.oidc_issuer(oidc.MASKINPORTEN)}/jwks"
    issuer = layout.oidc_issuer(oidc.MASKINPORTEN)
    old_token = oidc.vendor_token(layout.oidc_url, SMARTCLOUD, SCOPES)
    old_key = httpx.get(jwks_uri, timeout=10).json()["keys"][0]

    infra.rotate_oidc_keys(layout)

    new_key = httpx.get(jwks_uri, timeout=10).json()["keys"][0]
    assert new_key["n"] != old_key["n"]
    assert new_key["kid"] == old_key["kid"] == oidc.MASKINPORTEN
    new_token = oidc.vendor_token(layout.oidc_url, SMARTCLOUD, SCOPES)
    assert (
        _verify(new_token, issuer, jwks_uri, oidc.VENDOR_AUDIENCE)["consumer"]["ID"] == f"0192:{SMARTCLOUD}"
    )
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(old_token, issuer, jwks_uri, oidc.VENDOR_AUDIENCE)

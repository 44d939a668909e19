"""Login and token misuse against the real provider and services: each ends refused, with no session."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest

from sysaccess import oidc
from sysaccess.portal_login import portal_login, provider_round_trip
from tests.e2e.conftest import Stack

DRESS_MINST = "12887010186"
ME = "/accessmanagement/api/v1/me"
FAILED = "Innloggingen mislyktes"


async def no_session(client: httpx.AsyncClient) -> bool:
    return (await client.get(ME)).status_code == 401


async def test_too_low_a_level_of_assurance_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        claims = json.dumps({"pid": DRESS_MINST, "acr": "idporten-loa-low"})
        callback = await provider_round_trip(client, "low-acr-person", claims_json=claims)
        refused = await client.get(callback)
        assert refused.status_code == 403
        assert FAILED in refused.text
        assert await no_session(client)


async def test_a_login_without_a_pid_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        claims = json.dumps({"acr": oidc.ACR_SUBSTANTIAL})
        refused = await client.get(await provider_round_trip(client, "nobody", claims_json=claims))
        assert refused.status_code == 403
        assert await no_session(client)


async def test_a_replayed_callback_and_code_are_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        callback = await provider_round_trip(client, DRESS_MINST)
        login_cookie = client.cookies.get("sysaccess_login")
        assert (await client.get(callback)).status_code == 303
    # An attacker with the same callback URL and even the (still signed) login cookie.
    async with httpx.AsyncClient(base_url=stack.portal) as attacker:
        assert login_cookie is not None
        attacker.cookies.set("sysaccess_login", login_cookie, domain="127.0.0.1", path="/")
        replayed = await attacker.get(callback)
        assert replayed.status_code == 403
        assert await no_session(attacker)


async def test_a_missing_or_foreign_state_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        callback = httpx.URL(await provider_round_trip(client, DRESS_MINST))
        without_state = callback.copy_remove_param("state")
        assert (await client.get(without_state)).status_code == 403
        foreign = callback.copy_set_param("state", secrets.token_urlsafe(24))
        assert (await client.get(foreign)).status_code == 403
        assert await no_session(client)


async def test_a_code_issued_to_another_client_is_refused(stack: Stack) -> None:
    issuer = f"{stack.endpoints.oidc_url}/{oidc.IDPORTEN}"
    _, challenge = oidc.pkce_pair()
    params = {
        "client_id": "another-client",
        "response_type": "code",
        "redirect_uri": "https://another.example/cb",
        "scope": "openid",
        "state": "theirs",
        "nonce": "theirs",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with httpx.AsyncClient() as provider:
        signed_in = await provider.post(f"{issuer}/authorize", params=params, data={"username": DRESS_MINST})
        their_code = httpx.URL(signed_in.headers["location"]).params["code"]
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        ours = httpx.URL(await provider_round_trip(client, DRESS_MINST))
        swapped = ours.copy_set_param("code", their_code)
        refused = await client.get(swapped)
        assert refused.status_code == 403
        assert await no_session(client)


async def test_a_maskinporten_token_opens_nothing_at_the_portal(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        bearer = {"Authorization": f"Bearer {stack.vendor_token}"}
        assert (await client.get(ME, headers=bearer)).status_code == 401


async def test_an_idporten_token_opens_nothing_at_the_vendor_api(stack: Stack) -> None:
    login = oidc.person_login(stack.endpoints.oidc_url, DRESS_MINST)
    async with httpx.AsyncClient(base_url=stack.intake) as client:
        for token in (login.id_token, login.access_token):
            answer = await client.get(
                "/authentication/api/v1/systemregister/vendor", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 401
            assert answer.json()["code"] == "AUTH-00023"


@pytest.mark.parametrize("scopes", [["altinn:authentication/systemuser.request.read"]])
async def test_a_provider_token_is_accepted_only_for_its_scopes(stack: Stack, scopes: list[str]) -> None:
    token = stack.tokens.get(scopes=scopes)
    async with httpx.AsyncClient(
        base_url=stack.intake, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        assert (await client.get("/authentication/api/v1/systemregister/vendor")).status_code == 403


async def test_the_real_login_still_works_after_all_that(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        assert await portal_login(client, DRESS_MINST)

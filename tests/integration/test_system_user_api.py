"""System-user tokens and decisions over HTTP, against a real Redis, Kafka and provider (request_intake
in-process): Maskinporten's lookup, the token exchange, the JWKS, the decision point and the sample
resource API, with accesses and clients arriving as the approval service's events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import jwt
import pytest

from shared import events as ev
from tests.conftest import (
    SMARTCLOUD,
    SMARTCLOUD_SYSTEM,
    TIGER,
    RunningIntake,
    TokenFactory,
    _running_intake,
    intake_settings,
)
from tests.integration.test_intake_api import BASE, standard_request
from tests.support import krav_og_betalinger
from tests.support.infra import Endpoints
from tests.support.kafka import publish

FLINK = "313222225"
TRYGG_BAKERI = "311543210"
PUBLIC = "http://intake.test"
ISSUER = f"{PUBLIC}/oauth2"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
LOOKUP_SCOPE = "altinn:maskinporten/systemuser.read"
AUTHORIZE_SCOPE = "altinn:authorization/authorize"
DIGDIR = "991825827"  # Maskinporten's owner, as the caller of the lookup
KRAV_SCOPE = "skatteetaten:krav"


@pytest.fixture(scope="module")
async def intake(endpoints: Endpoints) -> AsyncIterator[RunningIntake]:
    settings = intake_settings(endpoints, public_base_url=PUBLIC)
    async for running in _running_intake(settings):
        # Ready means every consumer has its partitions: the events these tests publish are
        # consumed, and stopping does not interrupt a group join (whose leave then times out).
        await until(partial(running.client.get, "/readyz"), 200, tries=600)
        yield running


def authorization_details(org_no: str, external_ref: str | None) -> str:
    entry: dict[str, Any] = {
        "type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org_no}"},
    }
    if external_ref is not None:
        entry["externalRef"] = external_ref
    return json.dumps([entry])


async def ask_token(
    intake: RunningIntake,
    subject_token: str,
    org_no: str,
    external_ref: str | None,
    **extra: str,
) -> httpx.Response:
    return await intake.client.post(
        "/oauth2/token",
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": ACCESS_TOKEN,
            "authorization_details": authorization_details(org_no, external_ref),
            **extra,
        },
    )


async def approved(intake: RunningIntake, token_for: TokenFactory, *, agent: bool = False) -> tuple[str, str]:
    """A request through the vendor API, then the approval service's SystemAccessCreated; (id, ref)."""
    auth = intake.auth(token_for())
    if agent:
        body: dict[str, Any] = {
            "systemId": SMARTCLOUD_SYSTEM,
            "partyOrgNo": FLINK,
            "externalRef": f"agent-{uuid.uuid4().hex[:10]}",
            "accessPackages": [
                {"urn": "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"},
                {"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"},
            ],
        }
        path = f"{BASE}/systemuser/request/vendor/agent"
    else:
        body = standard_request()
        path = f"{BASE}/systemuser/request/vendor"
    created = await intake.client.post(path, json=body, headers=auth)
    assert created.status_code == 201, created.text
    request = created.json()
    await publish(
        intake.settings.kafka_bootstrap,
        ev.SystemAccessCreated(
            system_access_id=uuid.UUID(request["id"]),
            request_id=uuid.UUID(request["id"]),
            request_type=ev.RequestType.AGENT if agent else ev.RequestType.STANDARD,
            system_id=SMARTCLOUD_SYSTEM,
            vendor_org_no=SMARTCLOUD,
            party_org_no=request["partyOrgNo"],
            external_ref=request["externalRef"],
            integration_title="SmartCloud",
            rights=tuple(r["resource"][0]["value"] for r in body.get("rights", [])),
            access_packages=tuple(p["urn"] for p in body["accessPackages"]),
            approved_by="12887010186",
            approved_at=datetime.now(UTC),
        ),
    )
    lookup = f"{BASE}/systemuser/vendor/byquery?system-id={SMARTCLOUD_SYSTEM}"
    lookup += f"&orgno={request['partyOrgNo']}&external-ref={request['externalRef']}"
    await until(lambda: intake.client.get(lookup, headers=auth), 200)
    return request["id"], request["externalRef"]


def access_deleted(access_id: str, external_ref: str) -> ev.SystemAccessDeleted:
    """What approval publishes when Tiger's access manager deletes the SmartCloud system user."""
    return ev.SystemAccessDeleted(
        system_access_id=uuid.UUID(access_id),
        system_id=SMARTCLOUD_SYSTEM,
        vendor_org_no=SMARTCLOUD,
        party_org_no=TIGER,
        external_ref=external_ref,
        deleted_by="12887010186",
    )


async def until(call: Any, status: int, tries: int = 150) -> httpx.Response:
    for _ in range(tries):
        response: httpx.Response = await call()
        if response.status_code == status:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"never {status}: {response.status_code} {response.text}")


async def decide(
    intake: RunningIntake, token_for: TokenFactory, organisation: str, **who: str
) -> dict[str, Any]:
    response = await intake.client.post(
        "/authorization/api/v1/systemuser/decision",
        json={"resource": "ske-krav-og-betalinger", "action": "read", "organisation": organisation, **who},
        headers=intake.auth(token_for(krav_og_betalinger.SKATTEETATEN, [AUTHORIZE_SCOPE])),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_lookup_token_decision_and_delete(intake: RunningIntake, token_for: TokenFactory) -> None:
    access_id, ref = await approved(intake, token_for)
    maskinporten = intake.auth(token_for(DIGDIR, [LOOKUP_SCOPE]))
    query = {
        "clientId": SMARTCLOUD,
        "systemProviderOrgNo": SMARTCLOUD,
        "systemUserOwnerOrgNo": TIGER,
        "externalRef": ref,
    }
    lookup = await intake.client.get(f"{BASE}/systemuser/byExternalId", params=query, headers=maskinporten)
    assert lookup.status_code == 200, lookup.text
    assert lookup.headers["cache-control"] == "no-store"
    found = lookup.json()
    assert (found["id"], found["systemId"], found["productName"], found["reporteeOrgNo"]) == (
        access_id,
        SMARTCLOUD_SYSTEM,
        SMARTCLOUD_SYSTEM,
        TIGER,
    )
    assert (found["supplierOrgno"], found["externalRef"], found["isDeleted"]) == (SMARTCLOUD, ref, False)

    vendor_token = token_for(SMARTCLOUD, [KRAV_SCOPE])
    issued = await ask_token(intake, vendor_token, TIGER, ref, audience=krav_og_betalinger.AUDIENCE)
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    body = issued.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 120, KRAV_SCOPE)
    assert body["issued_token_type"] == ACCESS_TOKEN
    jwks = (await intake.client.get("/oauth2/jwks")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(
        body["access_token"],
        key.key,
        algorithms=["ES256"],
        issuer=ISSUER,
        audience=krav_og_betalinger.AUDIENCE,
    )
    assert claims["exp"] - claims["iat"] == 120
    details = claims["authorization_details"][0]
    assert (details["systemuser_id"], details["system_id"], details["systemuser_org"]["ID"]) == (
        [access_id],
        SMARTCLOUD_SYSTEM,
        f"0192:{TIGER}",
    )
    metadata = (await intake.client.get("/.well-known/oauth-authorization-server/oauth2")).json()
    assert (metadata["issuer"], metadata["jwks_uri"]) == (ISSUER, f"{ISSUER}/jwks")

    permit = await decide(intake, token_for, TIGER, systemUserToken=body["access_token"])
    assert (permit["decision"], permit["code"], permit["grantedBy"]) == (
        "Permit",
        "granted_right",
        "ske-krav-og-betalinger",
    )
    elsewhere = await decide(intake, token_for, FLINK, systemUserId=access_id)
    assert (elsewhere["decision"], elsewhere["code"]) == ("Deny", "other_party")

    await publish(intake.settings.kafka_bootstrap, access_deleted(access_id, ref))
    refused = await until(lambda: ask_token(intake, vendor_token, TIGER, ref), 400)
    assert refused.json()["error"] == "invalid_altinn_customer_configuration"
    assert refused.json()["error_description"].endswith("(MP-303)")
    assert "access_token" not in refused.json()
    gone = await intake.client.get(f"{BASE}/systemuser/byExternalId", params=query, headers=maskinporten)
    assert gone.status_code == 404
    assert gone.json()["code"] == "AUTH-00015"
    denied = await decide(intake, token_for, TIGER, systemUserToken=body["access_token"])
    assert (denied["decision"], denied["code"]) == ("Deny", "deleted")


async def test_client_system_user_follows_clients(intake: RunningIntake, token_for: TokenFactory) -> None:
    access_id, ref = await approved(intake, token_for, agent=True)
    token = (await ask_token(intake, token_for(SMARTCLOUD, [KRAV_SCOPE]), FLINK, ref)).json()["access_token"]
    client: dict[str, Any] = {
        "system_access_id": uuid.UUID(access_id),
        "system_id": SMARTCLOUD_SYSTEM,
        "vendor_org_no": SMARTCLOUD,
        "facilitator_org_no": FLINK,
        "client_org_no": TIGER,
    }
    assert (await decide(intake, token_for, TIGER, systemUserToken=token))["code"] == "not_a_client"
    await publish(intake.settings.kafka_bootstrap, ev.ClientAdded(added_by="17848310182", **client))
    for _ in range(100):
        permit = await decide(intake, token_for, TIGER, systemUserToken=token)
        if permit["decision"] == "Permit":
            break
        await asyncio.sleep(0.1)
    assert (permit["code"], permit["grantedBy"]) == (
        "granted_client_package",
        "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
    )
    assert (await decide(intake, token_for, TRYGG_BAKERI, systemUserToken=token))["code"] == "not_a_client"
    await publish(intake.settings.kafka_bootstrap, ev.ClientRemoved(removed_by="17848310182", **client))
    for _ in range(100):
        denied = await decide(intake, token_for, TIGER, systemUserToken=token)
        if denied["decision"] == "Deny":
            break
        await asyncio.sleep(0.1)
    assert denied["code"] == "not_a_client"


async def test_the_sample_resource_api(intake: RunningIntake, token_for: TokenFactory) -> None:
    _access_id, ref = await approved(intake, token_for)
    api = krav_og_betalinger.create_app(
        intake.client,
        issuer=ISSUER,
        decision_token=lambda: token_for(krav_og_betalinger.SKATTEETATEN, [AUTHORIZE_SCOPE]),
    )
    vendor_token = token_for(SMARTCLOUD, [KRAV_SCOPE])
    for_api = await ask_token(intake, vendor_token, TIGER, ref, resource=krav_og_betalinger.AUDIENCE)
    other_audience = await ask_token(intake, vendor_token, TIGER, ref, audience="https://other.example")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://krav.test") as krav:

        async def call(token: str, orgno: str = TIGER) -> httpx.Response:
            return await krav.get(
                "/api/v1/krav", params={"orgno": orgno}, headers={"Authorization": f"Bearer {token}"}
            )

        permitted = await call(for_api.json()["access_token"])
        assert permitted.status_code == 200, permitted.text
        assert permitted.json()["krav"][0]["id"].startswith(TIGER)
        denied = await call(for_api.json()["access_token"], FLINK)
        assert denied.status_code == 403
        assert denied.json()["code"] == "other_party"
        assert (await call(other_audience.json()["access_token"])).status_code == 401
        assert (await call(vendor_token)).status_code == 401  # the provider's own token is no system user
        assert (await krav.get("/api/v1/krav", params={"orgno": TIGER})).status_code == 401


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({"grant_type": "client_credentials"}, "unsupported_grant_type", id="grant"),
        pytest.param({"subject_token": "eyJhbGciOiJIUzI1NiJ9.e30.x"}, "invalid_grant", id="forged-subject"),
        pytest.param({"authorization_details": "[{}]"}, "invalid_authorization_details", id="details"),
        pytest.param({"scope": "not:held"}, "invalid_scope", id="scope"),
    ],
)
async def test_refused_token_requests_are_oauth_errors(
    intake: RunningIntake, token_for: TokenFactory, change: dict[str, str], error: str
) -> None:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": token_for(SMARTCLOUD, [KRAV_SCOPE]),
        "subject_token_type": ACCESS_TOKEN,
        "authorization_details": authorization_details(TIGER, "whatever"),
        **change,
    }
    response = await intake.client.post("/oauth2/token", data=form)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error
    assert response.json()["error_description"]


async def test_no_token_for_another_vendors_system_or_a_json_body(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    _access_id, ref = await approved(intake, token_for)
    other = await ask_token(intake, token_for(FLINK, [KRAV_SCOPE]), TIGER, ref)
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_altinn_customer_configuration"
    as_json = await intake.client.post("/oauth2/token", json={"grant_type": TOKEN_EXCHANGE})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"


async def test_lookup_and_decisions_need_their_scopes(intake: RunningIntake, token_for: TokenFactory) -> None:
    vendor = intake.auth(token_for())
    query = {"clientId": SMARTCLOUD, "systemProviderOrgNo": SMARTCLOUD, "systemUserOwnerOrgNo": TIGER}
    lookup = await intake.client.get(f"{BASE}/systemuser/byExternalId", params=query, headers=vendor)
    assert lookup.status_code == 403
    assert (await intake.client.get(f"{BASE}/systemuser/byExternalId", params=query)).status_code == 401
    body = {"systemUserId": str(uuid.uuid4()), "resource": "x", "action": "read", "organisation": TIGER}
    decision = await intake.client.post(
        "/authorization/api/v1/systemuser/decision", json=body, headers=vendor
    )
    assert decision.status_code == 403
    anonymous = await intake.client.post("/authorization/api/v1/systemuser/decision", content=b"{" * 1000)
    assert anonymous.status_code == 401  # the caller's token is checked before its body is read
    assert anonymous.json()["code"] == "AUTH-00023"
    resource_api = intake.auth(token_for(krav_og_betalinger.SKATTEETATEN, [AUTHORIZE_SCOPE]))
    both = {**body, "systemUserToken": "x"}
    malformed = await intake.client.post(
        "/authorization/api/v1/systemuser/decision", json=both, headers=resource_api
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith("application/problem+json")
    unknown = await intake.client.post(
        "/authorization/api/v1/systemuser/decision", json=body, headers=resource_api
    )
    assert (unknown.json()["decision"], unknown.json()["code"]) == ("Deny", "unknown_system_user")


async def test_concurrent_lookups_each_get_their_own_answer(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    """Lookups asked for together are answered from one batch of reads: each gets its own."""
    made = dict([await approved(intake, token_for) for _ in range(3)])
    by_ref = {ref: access_id for access_id, ref in made.items()}
    refs = [*by_ref, "nobody-1", "nobody-2"]
    maskinporten = intake.auth(token_for(DIGDIR, [LOOKUP_SCOPE]))

    async def look(ref: str) -> httpx.Response:
        query = {
            "clientId": SMARTCLOUD,
            "systemProviderOrgNo": SMARTCLOUD,
            "systemUserOwnerOrgNo": TIGER,
            "externalRef": ref,
        }
        return await intake.client.get(f"{BASE}/systemuser/byExternalId", params=query, headers=maskinporten)

    answers = await asyncio.gather(*(look(refs[i % len(refs)]) for i in range(100)))
    for i, answer in enumerate(answers):
        ref = refs[i % len(refs)]
        if ref in by_ref:
            assert answer.status_code == 200, answer.text
            assert (answer.json()["id"], answer.json()["externalRef"]) == (by_ref[ref], ref)
        else:
            assert answer.status_code == 404

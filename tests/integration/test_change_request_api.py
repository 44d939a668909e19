"""Change requests through the vendor API against a real Redis and Kafka (intake in-process).

The approval service's outcome is published onto Kafka as approval would (``SystemAccessChanged``),
and the mirrored access, the change request's status and the decision point follow it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
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
from tests.integration.test_intake_api import BASE, assert_problem
from tests.integration.test_system_user_api import AUTHORIZE_SCOPE, access_deleted, approved, until
from tests.support import krav_og_betalinger
from tests.support.infra import Endpoints
from tests.support.kafka import publish, wait_for_records

CHANGES = f"{BASE}/systemuser/changerequest/vendor"
KRAV, MVA = "ske-krav-og-betalinger", "app_skd_mva-melding"
SYKMELDING = "nav-sykmelding"  # in no package the party can give: only a right grants it
SKATT = "urn:altinn:accesspackage:skattnaering"
OTHER_VENDOR = FLINK = "313222225"  # FLINK REGNSKAP AS: another vendor, and a facilitator


def right(resource: str) -> dict[str, Any]:
    return {"resource": [{"id": "urn:altinn:resource", "value": resource}]}


@pytest.fixture(scope="module")
async def intake(endpoints: Endpoints) -> AsyncIterator[RunningIntake]:
    settings = intake_settings(endpoints, public_base_url="http://intake.test", page_size=2)
    async for running in _running_intake(settings):
        await until(partial(running.client.get, "/readyz"), 200, tries=600)
        yield running


async def post_change(
    intake: RunningIntake,
    auth: dict[str, str],
    access_id: str,
    body: dict[str, Any],
    correlation: str | None = None,
) -> httpx.Response:
    params = {"correlation-id": correlation or str(uuid.uuid4()), "system-user-id": access_id}
    return await intake.client.post(CHANGES, params=params, json=body, headers=auth)


async def decision(intake: RunningIntake, token_for: TokenFactory, access_id: str, resource: str) -> str:
    response = await intake.client.post(
        "/authorization/api/v1/systemuser/decision",
        json={"systemUserId": access_id, "resource": resource, "action": "read", "organisation": TIGER},
        headers=intake.auth(token_for(krav_og_betalinger.SKATTEETATEN, [AUTHORIZE_SCOPE])),
    )
    assert response.status_code == 200, response.text
    answer: str = response.json()["decision"]
    return answer


async def test_change_request_lifecycle(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    access_id, external_ref = await approved(intake, token_for)
    correlation = str(uuid.uuid4())
    body = {
        "requiredRights": [right(SYKMELDING)],
        "unwantedRights": [right(KRAV)],
        "unwantedAccessPackages": [{"urn": SKATT}],
        "redirectUrl": "",
    }

    created = await post_change(intake, auth, access_id, body, correlation)
    assert created.status_code == 201, created.text
    change = created.json()
    assert change["id"] == correlation
    assert change["status"] == "New"
    assert change["systemUserId"] == access_id
    assert change["redirectUrl"] is None
    assert change["confirmUrl"].endswith(f"/accessmanagement/ui/systemuser/changerequest?id={correlation}")
    assert created.headers["location"].endswith(f"{CHANGES}/{correlation}")

    # The same correlation id is the same change request, whatever the body says now.
    again = await post_change(intake, auth, access_id, {"requiredRights": [right(MVA)]}, correlation)
    assert again.status_code == 200
    assert [r["resource"][0]["value"] for r in again.json()["requiredRights"]] == [SYKMELDING]
    announced = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.change-requested.v1",
        lambda r: r["value"]["changeRequestId"] == correlation,
        settle=0.5,
    )
    assert len(announced) == 1
    assert announced[0]["key"] == correlation.encode()
    assert announced[0]["value"]["requiredRights"] == [SYKMELDING]
    assert announced[0]["value"]["unwantedAccessPackages"] == [SKATT]

    by_id = await intake.client.get(f"{CHANGES}/{correlation}", headers=auth)
    assert by_id.json()["status"] == "New"
    by_ref = await intake.client.get(
        f"{CHANGES}/byexternalref/{SMARTCLOUD_SYSTEM}/{TIGER}/{external_ref}", headers=auth
    )
    assert by_ref.json()["id"] == correlation

    assert await decision(intake, token_for, access_id, SYKMELDING) == "Deny"
    assert await decision(intake, token_for, access_id, KRAV) == "Permit"
    await publish(
        intake.settings.kafka_bootstrap,
        ev.SystemAccessChanged(
            change_request_id=uuid.UUID(correlation),
            system_access_id=uuid.UUID(access_id),
            request_type=ev.RequestType.STANDARD,
            system_id=SMARTCLOUD_SYSTEM,
            vendor_org_no=SMARTCLOUD,
            party_org_no=TIGER,
            external_ref=external_ref,
            rights_added=(SYKMELDING,),
            rights_removed=(KRAV,),
            access_packages_removed=(SKATT,),
            rights=(SYKMELDING,),
            access_packages=(),
            changed_by="12887010186",
            changed_at=datetime.now(UTC),
        ),
    )
    assert await status_becomes(intake, auth, correlation, "Accepted") == "Accepted"
    assert await decision(intake, token_for, access_id, SYKMELDING) == "Permit"
    assert await decision(intake, token_for, access_id, KRAV) == "Deny"
    lookup = f"{BASE}/systemuser/vendor/byquery?system-id={SMARTCLOUD_SYSTEM}&orgno={TIGER}"
    lookup += f"&external-ref={external_ref}"
    system_user = (await intake.client.get(lookup, headers=auth)).json()
    assert system_user["rights"] == [SYKMELDING]
    assert system_user["accessPackages"] == []


async def status_becomes(intake: RunningIntake, auth: dict[str, str], change_id: str, status: str) -> str:
    """The change request's status once it is ``status`` (or the last seen, after 10 s)."""
    seen = ""
    for _ in range(200):
        response = await intake.client.get(f"{CHANGES}/{change_id}", headers=auth)
        seen = response.json().get("status", "") if response.status_code == 200 else str(response.status_code)
        if seen == status:
            break
        await asyncio.sleep(0.05)
    return seen


async def test_deleting_the_system_user_denies_its_pending_change_request(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    access_id, external_ref = await approved(intake, token_for)
    correlation = str(uuid.uuid4())
    created = await post_change(intake, auth, access_id, {"requiredRights": [right(MVA)]}, correlation)
    assert created.status_code == 201, created.text

    await publish(intake.settings.kafka_bootstrap, access_deleted(access_id, external_ref))
    assert await status_becomes(intake, auth, correlation, "Denied") == "Denied"

    # A rejection approval made before the deletion, read after it, is the outcome that stands.
    await publish(
        intake.settings.kafka_bootstrap,
        ev.SystemAccessChangeRejected(
            change_request_id=uuid.UUID(correlation),
            system_access_id=uuid.UUID(access_id),
            system_id=SMARTCLOUD_SYSTEM,
            vendor_org_no=SMARTCLOUD,
            party_org_no=TIGER,
            rejected_by="12887010186",
            rejected_at=datetime.now(UTC),
        ),
    )
    assert await status_becomes(intake, auth, correlation, "Rejected") == "Rejected"


async def test_nothing_to_change_is_answered_and_not_stored(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    access_id, _ = await approved(intake, token_for)
    correlation = str(uuid.uuid4())
    unchanged = await post_change(
        intake,
        auth,
        access_id,
        {"requiredRights": [right(KRAV)], "unwantedRights": [right(MVA)]},
        correlation,
    )
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["status"] == "NoChangeNeeded"
    assert unchanged.json()["confirmUrl"] is None
    assert_problem(await intake.client.get(f"{CHANGES}/{correlation}", headers=auth), 404, "AUTH-00010")


async def test_paged_by_system_and_only_the_owner_reads_or_deletes(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    stranger = intake.auth(token_for(OTHER_VENDOR))
    access_id, _ = await approved(intake, token_for)
    ids = []
    for _ in range(3):
        created = await post_change(intake, auth, access_id, {"requiredRights": [right(MVA)]})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])

    seen: list[str] = []
    url: str | None = f"{CHANGES}/bysystem/{SMARTCLOUD_SYSTEM}"
    while url:
        page = await intake.client.get(url.removeprefix("http://intake.test"), headers=auth)
        assert page.status_code == 200, page.text
        assert len(page.json()["data"]) <= 2
        seen += [c["id"] for c in page.json()["data"]]
        url = page.json()["links"]["next"]
    assert set(ids) <= set(seen)
    assert len(seen) == len(set(seen))  # the continuation token moves on (Altinn's loops)

    assert_problem(await intake.client.get(f"{CHANGES}/{ids[0]}", headers=stranger), 404)
    assert_problem(await intake.client.delete(f"{CHANGES}/{ids[0]}", headers=stranger), 404)
    assert_problem(
        await post_change(intake, stranger, access_id, {"requiredRights": [right(MVA)]}), 404, "AUTH-00015"
    )
    deleted = await intake.client.delete(f"{CHANGES}/{ids[0]}", headers=auth)
    assert deleted.status_code == 202
    assert_problem(await intake.client.get(f"{CHANGES}/{ids[0]}", headers=auth), 404)
    withdrawn = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.change-request-withdrawn.v1",
        lambda r: r["value"]["changeRequestId"] == ids[0],
        settle=0.5,
    )
    assert len(withdrawn) == 1


@pytest.mark.parametrize(
    ("params", "body", "status", "code"),
    [
        ({"correlation-id": "nope"}, {"requiredRights": [right(MVA)]}, 400, None),
        ({}, {"requiredRights": [right("unknown")]}, 400, "AUTH-00001"),
        (
            {},
            {"requiredAccessPackages": [{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}]},
            400,
            "AUTH-00064",
        ),
        ({}, {"requiredRights": [right(MVA)], "redirectUrl": "https://evil.example/x"}, 400, "AUTH-00021"),
        ({}, {"requiredRights": [right(MVA)], "unknownField": 1}, 400, None),
        ({"system-user-id": str(uuid.uuid4())}, {"requiredRights": [right(MVA)]}, 404, "AUTH-00015"),
    ],
    ids=["correlation-id", "right", "client-package", "redirect", "unknown-field", "no-system-user"],
)
async def test_refused_change_requests_store_nothing(
    intake: RunningIntake,
    token_for: TokenFactory,
    params: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    auth = intake.auth(token_for())
    access_id, _ = await approved(intake, token_for)
    correlation = str(uuid.uuid4())
    query = {"correlation-id": correlation, "system-user-id": access_id, **params}
    response = await intake.client.post(CHANGES, params=query, json=body, headers=auth)
    assert_problem(response, status, code)
    assert_problem(await intake.client.get(f"{CHANGES}/{correlation}", headers=auth), 404)


async def test_scopes(intake: RunningIntake, token_for: TokenFactory) -> None:
    access_id, _ = await approved(intake, token_for)
    read_only = intake.auth(token_for(SMARTCLOUD, ["altinn:authentication/systemuser.request.read"]))
    response = await post_change(intake, read_only, access_id, {"requiredRights": [right(MVA)]})
    assert_problem(response, 403)
    assert_problem(await intake.client.get(f"{CHANGES}/{uuid.uuid4()}"), 401)


async def test_a_client_system_user_can_be_changed(intake: RunningIntake, token_for: TokenFactory) -> None:
    """Beyond Altinn (which answers AUTH-00015): a client system user's packages can be changed."""
    auth = intake.auth(token_for())
    access_id, _ = await approved(intake, token_for, agent=True)
    lonn = {"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}
    created = await post_change(intake, auth, access_id, {"unwantedAccessPackages": [lonn]})
    assert created.status_code == 201, created.text
    assert created.json()["partyOrgNo"] == FLINK  # the facilitator
    refused = await post_change(intake, auth, access_id, {"requiredRights": [right(MVA)]})
    assert_problem(refused, 400, "AUTH-00058")

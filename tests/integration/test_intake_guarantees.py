"""Guarantees of request_intake: one request per natural key under concurrency, status kept current
from outcome events exactly once, poison messages dead-lettered."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from shared import events as ev
from tests.conftest import SMARTCLOUD, SMARTCLOUD_SYSTEM, TIGER, RunningIntake, TokenFactory
from tests.integration.test_intake_api import BASE, standard_request
from tests.support.kafka import publish, publish_raw, wait_for_records


async def _poll_status(
    intake: RunningIntake, auth: dict[str, str], request_id: str, want: str
) -> dict[str, object]:
    for _ in range(100):
        body = (
            await intake.client.get(f"{BASE}/systemuser/request/vendor/{request_id}", headers=auth)
        ).json()
        if body["status"] == want:
            return body  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"status never became {want}: {body}")


async def test_twenty_concurrent_posts_create_one_request(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    body = standard_request()
    responses = await asyncio.gather(
        *(intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    events = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.access-requested.v1",
        lambda r: r["value"]["externalRef"] == body["externalRef"],
        settle=1.0,
    )
    assert len(events) == 1


async def _new_request(intake: RunningIntake, auth: dict[str, str]) -> dict[str, object]:
    response = await intake.client.post(
        f"{BASE}/systemuser/request/vendor", json=standard_request(), headers=auth
    )
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


def _created(request: dict[str, object]) -> ev.SystemAccessCreated:
    return ev.SystemAccessCreated(
        system_access_id=uuid.UUID(str(request["id"])),
        request_id=uuid.UUID(str(request["id"])),
        request_type=ev.RequestType.STANDARD,
        system_id=SMARTCLOUD_SYSTEM,
        vendor_org_no=SMARTCLOUD,
        party_org_no=TIGER,
        external_ref=str(request["externalRef"]),
        integration_title="SmartCloud",
        rights=("ske-krav-og-betalinger",),
        access_packages=("urn:altinn:accesspackage:skattnaering",),
        approved_by="12887010186",
        approved_at=datetime.now(UTC),
    )


async def test_accepted_status_and_byquery(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    request = await _new_request(intake, auth)
    query = (
        f"{BASE}/systemuser/vendor/byquery?system-id={SMARTCLOUD_SYSTEM}"
        f"&orgno={TIGER}&external-ref={request['externalRef']}"
    )
    assert (await intake.client.get(query, headers=auth)).status_code == 404
    created = _created(request)
    # Delivered twice, as after a crash before the offset commit: applied once.
    await publish(intake.settings.kafka_bootstrap, created, created)
    await _poll_status(intake, auth, str(request["id"]), "Accepted")
    access = (await intake.client.get(query, headers=auth)).json()
    assert access["id"] == request["id"]
    assert access["supplierName"] == "SMARTCLOUD AS"
    assert access["userType"] == "standard"
    inbox = await intake.app.state.runtime.redis.exists(
        f"{intake.settings.redis_prefix}:inbox:{created.event_id}"
    )
    assert inbox == 1
    repost = await intake.client.post(
        f"{BASE}/systemuser/request/vendor",
        json=standard_request(externalRef=request["externalRef"]),
        headers=auth,
    )
    assert repost.status_code == 400
    assert repost.json()["code"] == "AUTH-00004"
    deleted = ev.SystemAccessDeleted(
        system_access_id=created.system_access_id,
        system_id=SMARTCLOUD_SYSTEM,
        vendor_org_no=SMARTCLOUD,
        party_org_no=TIGER,
        external_ref=created.external_ref,
        deleted_by="12887010186",
    )
    await publish(intake.settings.kafka_bootstrap, deleted)
    for _ in range(100):
        if (await intake.client.get(query, headers=auth)).status_code == 404:
            break
        await asyncio.sleep(0.1)
    fresh = await intake.client.post(
        f"{BASE}/systemuser/request/vendor",
        json=standard_request(externalRef=request["externalRef"]),
        headers=auth,
    )
    assert fresh.status_code == 201
    assert fresh.json()["id"] != request["id"]


async def test_rejected_escalated_and_timed_out(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    rejected = await _new_request(intake, auth)
    escalated = await _new_request(intake, auth)
    timed_out = await _new_request(intake, auth)
    key: dict[str, Any] = {"system_id": SMARTCLOUD_SYSTEM, "vendor_org_no": SMARTCLOUD, "party_org_no": TIGER}
    await publish(
        intake.settings.kafka_bootstrap,
        ev.SystemAccessRequestRejected(
            request_id=uuid.UUID(str(rejected["id"])),
            rejected_by="12887010186",
            rejected_at=datetime.now(UTC),
            **key,
        ),
        ev.RequestEscalated(
            request_id=uuid.UUID(str(escalated["id"])),
            request_type=ev.RequestType.STANDARD,
            escalated_by="21927110056",
            escalated_at=datetime.now(UTC),
            access_managers=("12887010186",),
            **key,
        ),
        ev.RequestTimedOut(request_id=uuid.UUID(str(timed_out["id"])), **key),
    )
    await _poll_status(intake, auth, str(rejected["id"]), "Rejected")
    body = await _poll_status(intake, auth, str(timed_out["id"]), "Timedout")
    assert body["timedOut"] is True
    for _ in range(100):
        view = (
            await intake.client.get(f"{BASE}/systemuser/request/vendor/{escalated['id']}", headers=auth)
        ).json()
        if view["escalated"]:
            break
        await asyncio.sleep(0.1)
    assert view["escalated"] is True
    assert view["status"] == "New"


async def test_poison_message_goes_to_dead_letter(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    marker = uuid.uuid4().hex
    await publish_raw(
        intake.settings.kafka_bootstrap,
        "sysaccess.access-created.v1",
        f'{{"not json {marker}'.encode(),
        key=b"poison",
    )
    request = await _new_request(intake, auth)
    await publish(intake.settings.kafka_bootstrap, _created(request))
    await _poll_status(intake, auth, str(request["id"]), "Accepted")
    dead = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.access-created.v1.dlq",
        lambda r: isinstance(r["value"], bytes) and marker.encode() in r["value"],
    )
    assert len(dead) >= 1
    assert dead[0]["headers"]["dlq-reason"] == "invalid"
    assert dead[0]["headers"]["dlq-original-topic"] == "sysaccess.access-created.v1"

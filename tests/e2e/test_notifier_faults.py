"""The notifier under failure: retries with back-off, dead letters, and a kill mid-batch."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime

from services.notifier.settings import NotifierSettings
from shared import events as ev
from sysaccess.webhook_receiver import webhook_receiver
from tests.e2e.conftest import Stack
from tests.e2e.support import mails_about, register_hook_system
from tests.support.kafka import publish, wait_for_records

TIGER_MANAGERS = ("12887010186", "03897610069", "05816510068")


def created_event(system_id: str) -> ev.SystemAccessCreated:
    request_id = uuid.uuid4()
    return ev.SystemAccessCreated(
        system_access_id=request_id,
        request_id=request_id,
        request_type=ev.RequestType.STANDARD,
        system_id=system_id,
        vendor_org_no="314000110",
        party_org_no="310614289",
        external_ref=str(request_id),
        integration_title="Hooks",
        approved_by="12887010186",
        approved_at=datetime.now(UTC),
    )


def escalated_event(system_id: str) -> ev.RequestEscalated:
    return ev.RequestEscalated(
        request_id=uuid.uuid4(),
        request_type=ev.RequestType.STANDARD,
        system_id=system_id,
        vendor_org_no="314000110",
        party_org_no="310614289",
        escalated_by="21927110056",
        escalated_at=datetime.now(UTC),
        access_managers=TIGER_MANAGERS,
    )


async def test_failing_receiver_gets_retries_then_a_dead_letter(stack: Stack) -> None:
    with webhook_receiver(fail_with=500) as receiver:
        system_id, _ = await register_hook_system(stack, receiver.url)
        event = created_event(system_id)
        await publish(stack.endpoints.kafka_bootstrap, event)
        dead = await wait_for_records(
            stack.endpoints.kafka_bootstrap,
            "sysaccess.notifications.dlq",
            lambda r: isinstance(r["value"], dict) and r["value"]["deliveryId"] == str(event.event_id),
            timeout=30,
        )
        attempts = [d for d in receiver.deliveries if str(event.event_id) in d.body.decode()]
    assert len(dead) == 1
    assert dead[0]["value"]["attempts"] == 4  # NOTIFIER_MAX_ATTEMPTS in the e2e stack
    assert "500" in dead[0]["value"]["error"]
    assert len(attempts) == 4
    assert {a.headers["webhook-id"] for a in attempts} == {str(event.event_id)}
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert all(b > a for a, b in itertools.pairwise(gaps)), f"no back-off: {gaps}"


async def test_notifier_killed_mid_batch_sends_each_once(stack: Stack) -> None:
    with webhook_receiver() as receiver:
        system_id, _ = await register_hook_system(stack, receiver.url)
        escalations = [escalated_event(system_id) for _ in range(25)]
        outcomes = [created_event(system_id) for _ in range(25)]
        notifier = stack.processes["notifier"]
        await publish(stack.endpoints.kafka_bootstrap, *escalations, *outcomes)
        await asyncio.sleep(0.4)
        notifier.kill()
        notifier.start()
        notifier.wait_healthy()
        await asyncio.sleep(0.3)
        notifier.kill()
        notifier.start()
        notifier.wait_healthy()
        expected_ids = {str(e.event_id) for e in outcomes}
        for _ in range(150):
            seen = {d.headers["webhook-id"] for d in receiver.deliveries}
            if expected_ids <= seen:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)
        deliveries = [d for d in receiver.deliveries if d.headers["webhook-id"] in expected_ids]
    delivered_ids = [d.headers["webhook-id"] for d in deliveries]
    assert set(delivered_ids) == expected_ids, "a webhook was lost"
    escalated_ids = {str(e.request_id) for e in escalations}
    mailbox: list[object] = []
    for _ in range(100):
        mailbox = [m for request_id in escalated_ids for m in mails_about(stack, request_id)]
        if len(mailbox) >= 75:
            break
        await asyncio.sleep(0.2)
    assert len(mailbox) == 75, "one e-mail per manager per escalation, no more and no fewer"
    # A kill between the receiver accepting and the notifier recording the success repeats that one
    # delivery with the same Message-ID / delivery id, which receivers deduplicate on; count them.
    raw_receipts = (stack.mail_dir / "received.log").read_text().splitlines()
    repeated_mail = len(raw_receipts) - len({line.split("\t")[0] for line in raw_receipts})
    repeated_hooks = len(delivered_ids) - len(set(delivered_ids))
    print(f"repeated deliveries after kills: e-mail {repeated_mail}, webhooks {repeated_hooks}")
    # Each kill can repeat at most the deliveries in flight at that moment, never anything
    # already recorded, and every repeat carries its original id. Attempts run independently,
    # at most NOTIFIER_MAX_IN_FLIGHT at once (the e2e stack keeps the default), and fewer per
    # lane: these webhooks share one host (per-host share), the e-mails one relay.
    in_flight = NotifierSettings.model_fields["max_in_flight"].default
    per_lane = NotifierSettings.model_fields["max_in_flight_per_host"].default
    assert repeated_hooks <= 2 * min(in_flight, per_lane)
    assert repeated_mail <= 2 * min(in_flight, per_lane)

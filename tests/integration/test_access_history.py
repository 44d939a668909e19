"""approval's per-access history in Redis: written in the transaction of each change, once per event."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from services.approval.domain.authorization import Capability, Verdict
from services.approval.domain.clients import change_clients
from services.approval.domain.decisions import Applied, apply_decision
from services.approval.domain.deletion import delete_access
from services.approval.domain.history import HistoryKind, history_of
from services.approval.domain.models import SystemAccessRequest
from services.approval.domain.refusals import Refusal
from services.approval.domain.requests import request_from_event
from services.approval.storage.accesses import RedisAccesses
from services.approval.storage.history import RedisHistory
from services.approval.storage.requests import RedisRequests
from shared import events as ev
from tests.support.infra import Endpoints

FACILITATOR = "313222225"
ADMIN = "17848310182"


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_each_change_and_its_history_entry_are_one_transaction(redis: Redis) -> None:
    prefix = f"t-{uuid.uuid4().hex[:6]}"
    requests, accesses, history = (
        RedisRequests(redis, prefix),
        RedisAccesses(redis, prefix),
        RedisHistory(redis, prefix),
    )
    now = datetime.now(UTC)
    arrived = ev.SystemAccessRequested(
        request_id=uuid.uuid4(),
        request_type=ev.RequestType.AGENT,
        system_id="314000110_smartcloud",
        system_name={"nb": "SmartCloud"},
        vendor_org_no="314000110",
        party_org_no=FACILITATOR,
        external_ref="history",
        integration_title="SmartCloud",
        access_packages=("urn:altinn:accesspackage:regnskapsforer-lonn",),
        created=now,
        expires_at=now + timedelta(days=1),
    )
    request_id = str(arrived.request_id)
    for _ in range(2):  # a redelivered event adds nothing
        await requests.add_request(request_from_event(arrived), str(arrived.event_id), history_of(arrived))
    assert [e.kind for e in await history.history_of(request_id)] == [HistoryKind.REQUESTED]

    command = ev.DecideRequest(
        request_id=arrived.request_id, party_org_no=FACILITATOR, decision=ev.Decision.APPROVE, actor_pid=ADMIN
    )

    async def decide(request: SystemAccessRequest | None) -> Applied | Refusal:
        return apply_decision(request, command, Verdict(Capability.DECIDE), (), now)

    await requests.apply_decision(command, decide)
    await accesses.change_clients(
        request_id,
        lambda a, current: change_clients(a, current, add=["311543210"], remove=[], actor_pid=ADMIN),
    )
    refused = await accesses.delete_access(request_id, lambda a: delete_access(a, "310614289", ADMIN))
    assert isinstance(refused, Refusal)  # the wrong party: refused, nothing written
    await accesses.delete_access(request_id, lambda a: delete_access(a, FACILITATOR, ADMIN))

    entries = await history.history_of(request_id)
    assert [e.kind for e in entries] == [
        HistoryKind.REQUESTED,
        HistoryKind.APPROVED,
        HistoryKind.CLIENT_ADDED,
        HistoryKind.DELETED,
    ]
    assert {e.actor_pid for e in entries[1:]} == {ADMIN}
    assert entries[2].client_org_no == "311543210"
    assert await redis.xlen(f"{prefix}:outbox") == 3  # created, client added, deleted: one per entry

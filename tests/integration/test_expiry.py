"""Expiry and reminders with a controllable clock, against the real Redis."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from services.approval.domain.authorization import Capability, Verdict
from services.approval.domain.decisions import Applied, apply_decision
from services.approval.domain.models import RequestStatus, SystemAccessRequest
from services.approval.domain.refusals import Refusal
from services.approval.services.expiry import ExpiryJob
from services.approval.services.projections import Projections
from services.approval.storage.directory import RedisDirectory
from services.approval.storage.requests import RedisRequests
from services.approval.storage.systems import RedisSystems
from shared import events as ev
from shared.world import load_world
from tests.support.infra import Endpoints

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(days=180)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def outbox_types(redis: Redis, store: RedisRequests) -> list[str]:
    entries = await redis.xrange(store.keys.outbox)
    return [json.loads(str(fields["headers"]))["event-type"] for _, fields in entries or [] if fields]


async def setup(redis: Redis) -> tuple[RedisRequests, ExpiryJob, FakeClock, str]:
    prefix = f"exp-{uuid.uuid4().hex[:6]}"
    store = RedisRequests(redis, prefix)
    directory = RedisDirectory(redis, prefix, load_world())
    await directory.seed()
    clock = FakeClock(START)
    request_id = uuid.uuid4()
    await Projections(store, RedisSystems(redis, prefix)).request_arrived(
        ev.SystemAccessRequested(
            request_id=request_id,
            request_type=ev.RequestType.STANDARD,
            system_id="314000110_smartcloud",
            system_name={"nb": "SmartCloud"},
            vendor_org_no="314000110",
            party_org_no="310614289",
            external_ref="ref",
            integration_title="SmartCloud",
            rights=("ske-krav-og-betalinger",),
            created=START,
            expires_at=START + TTL,
        )
    )
    return store, ExpiryJob(store, directory, clock=clock), clock, str(request_id)


async def escalate(store: RedisRequests, request_id: str) -> None:
    command = ev.DecideRequest(
        request_id=uuid.UUID(request_id),
        party_org_no="310614289",
        decision=ev.Decision.ESCALATE,
        actor_pid="21927110056",
    )

    async def decide(request: SystemAccessRequest | None) -> Applied | Refusal:
        return apply_decision(request, command, Verdict(Capability.ESCALATE), ("12887010186",), START)

    await store.apply_decision(command, decide)


async def test_request_times_out_once_at_its_ttl(redis: Redis) -> None:
    store, job, clock, request_id = await setup(redis)
    clock.now = START + TTL - timedelta(seconds=1)
    assert await job.run_once() == (0, 0)
    clock.now = START + TTL
    assert await job.run_once() == (1, 0)
    assert await job.run_once() == (0, 0)
    state = await store.get_request(request_id)
    assert state is not None
    assert state.status is RequestStatus.TIMED_OUT
    assert (await outbox_types(redis, store)).count("RequestTimedOut") == 1


async def test_timed_out_request_cannot_be_approved(redis: Redis) -> None:
    store, job, clock, request_id = await setup(redis)
    clock.now = START + TTL + timedelta(days=1)
    await job.run_once()
    state = await store.get_request(request_id)
    command = ev.DecideRequest(
        request_id=uuid.UUID(request_id),
        party_org_no="310614289",
        decision=ev.Decision.APPROVE,
        actor_pid="12887010186",
    )
    refused = apply_decision(state, command, Verdict(Capability.DECIDE), (), clock.now)
    assert isinstance(refused, Refusal)
    assert refused.code == "AUTH-00013"


async def test_escalated_request_gets_one_reminder_at_half_its_ttl(redis: Redis) -> None:
    store, job, clock, request_id = await setup(redis)
    await escalate(store, request_id)
    clock.now = START + TTL / 2 - timedelta(minutes=1)
    assert await job.run_once() == (0, 0)
    clock.now = START + TTL / 2
    assert await job.run_once() == (0, 1)
    clock.now = START + TTL / 2 + timedelta(days=10)
    assert await job.run_once() == (0, 0)
    types = await outbox_types(redis, store)
    assert types.count("EscalationReminderTriggered") == 1
    assert types.count("RequestEscalated") == 1


async def test_decided_request_neither_expires_nor_reminds(redis: Redis) -> None:
    store, job, clock, request_id = await setup(redis)
    await escalate(store, request_id)
    command = ev.DecideRequest(
        request_id=uuid.UUID(request_id),
        party_org_no="310614289",
        decision=ev.Decision.APPROVE,
        actor_pid="12887010186",
    )

    async def decide(request: SystemAccessRequest | None) -> Applied | Refusal:
        return apply_decision(request, command, Verdict(Capability.DECIDE), (), START)

    await store.apply_decision(command, decide)
    clock.now = START + TTL * 2
    assert await job.run_once() == (0, 0)

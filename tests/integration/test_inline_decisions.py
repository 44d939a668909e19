"""Decisions applied in the portal's request (no Kafka hop) still yield one outcome per request.

Many portal instances may take decisions on one request at the same moment; only the
repository's transaction stands between them now, so it is tested here against a real Redis.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from services.approval.domain.models import DecisionOutcome, RequestStatus
from services.approval.services.decisions import DecisionWorker, InlineDecisions
from services.approval.services.projections import Projections
from services.approval.storage.directory import RedisDirectory
from services.approval.storage.requests import RedisRequests
from services.approval.storage.systems import RedisSystems
from shared import events as ev
from shared.world import load_world
from tests.support.infra import Endpoints

PARTY = "310614289"
MANAGERS = ("12887010186", "03897610069", "05816510068")


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def arrived(requests: RedisRequests, systems: RedisSystems) -> str:
    request_id = uuid.uuid4()
    now = datetime.now(UTC)
    await Projections(requests, systems).request_arrived(
        ev.SystemAccessRequested(
            request_id=request_id,
            request_type=ev.RequestType.STANDARD,
            system_id="314000110_smartcloud",
            system_name={"nb": "SmartCloud"},
            vendor_org_no="314000110",
            party_org_no=PARTY,
            external_ref=str(request_id),
            integration_title="SmartCloud",
            rights=("ske-krav-og-betalinger",),
            redirect_url=None,
            created=now,
            expires_at=now + timedelta(days=1),
        )
    )
    return str(request_id)


def command(request_id: str, decision: ev.Decision, actor: str) -> ev.DecideRequest:
    return ev.DecideRequest(
        request_id=uuid.UUID(request_id), party_org_no=PARTY, decision=decision, actor_pid=actor
    )


async def test_concurrent_inline_decisions_on_one_request_yield_one_outcome(redis: Redis) -> None:
    prefix = f"approval-t{uuid.uuid4().hex[:6]}"
    directory = RedisDirectory(redis, prefix, load_world())
    await directory.seed()
    requests, systems = RedisRequests(redis, prefix), RedisSystems(redis, prefix)
    request_ids = [await arrived(requests, systems) for _ in range(10)]
    # Four "portal instances", each with its own worker, taking a double click and a second
    # approver's rejection on every request at the same moment.
    deciders = [
        InlineDecisions(DecisionWorker(RedisRequests(redis, prefix), directory).apply_now) for _ in range(4)
    ]

    commands = [
        command(request_id, decision, actor)
        for request_id in request_ids
        for decision, actor in zip(
            (ev.Decision.APPROVE, ev.Decision.REJECT, ev.Decision.APPROVE, ev.Decision.REJECT),
            (*MANAGERS, MANAGERS[0]),
            strict=True,
        )
    ]
    results = await asyncio.gather(*(deciders[i % 4].send(c) for i, c in enumerate(commands)))
    by_command = {c.event_id: r for c, r in zip(commands, results, strict=True)}

    for request_id in request_ids:
        mine = [by_command[c.event_id] for c in commands if str(c.request_id) == request_id]
        outcomes = [r.outcome for r in mine if r is not None]
        assert len(outcomes) == 4, "every command's result is returned to its portal request"
        decided = [o for o in outcomes if o is not DecisionOutcome.REFUSED]
        assert len(decided) == 1, outcomes
        stored = await requests.get_request(request_id)
        assert stored is not None
        assert stored.status in (RequestStatus.ACCEPTED, RequestStatus.REJECTED)
    assert await redis.xlen(f"{prefix}:outbox") == len(request_ids), "one outcome event per request"


async def one_request(redis: Redis) -> tuple[str, str, InlineDecisions[ev.DecideRequest]]:
    """A fresh key prefix with the directory and one new request; (prefix, request id, decider)."""
    prefix = f"approval-t{uuid.uuid4().hex[:6]}"
    directory = RedisDirectory(redis, prefix, load_world())
    await directory.seed()
    requests = RedisRequests(redis, prefix)
    request_id = await arrived(requests, RedisSystems(redis, prefix))
    return prefix, request_id, InlineDecisions(DecisionWorker(requests, directory).apply_now)


async def test_a_redelivered_inline_command_changes_nothing(redis: Redis) -> None:
    prefix, request_id, decider = await one_request(redis)
    approve = command(request_id, ev.Decision.APPROVE, MANAGERS[0])
    result = await decider.send(approve)
    assert result is not None
    assert result.outcome is DecisionOutcome.ACCEPTED
    # The portal's retry of the same command after a lost answer: known, nothing changes.
    assert await decider.send(approve) is None
    assert await redis.xlen(f"{prefix}:outbox") == 1


async def test_a_refused_inline_decision_writes_only_its_idempotency_record(redis: Redis) -> None:
    """Its result goes back to the portal request; nothing is left for a waiter to read."""
    prefix, request_id, decider = await one_request(redis)
    await decider.send(command(request_id, ev.Decision.APPROVE, MANAGERS[0]))
    before = {str(k) async for k in redis.scan_iter(match=f"{prefix}:*") if ":inbox:" not in str(k)}

    late = command(request_id, ev.Decision.REJECT, MANAGERS[1])
    refused = await decider.send(late)

    assert refused is not None
    assert (refused.outcome, refused.code) == (DecisionOutcome.REFUSED, "AUTH-00013")
    after = {str(k) async for k in redis.scan_iter(match=f"{prefix}:*") if ":inbox:" not in str(k)}
    assert after == before
    assert await redis.exists(f"{prefix}:inbox:{late.event_id}")

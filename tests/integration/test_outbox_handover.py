"""The outbox when a relay dies holding entries, against a real Redis.

A relay that read entries and died before Kafka acknowledged them (a killed or stopped service
instance) leaves them pending under its consumer name in the relay group. A live relay must
claim them once they have been idle for ``claim_idle_ms`` and publish them, however many it
claims at once. Found by ``sysaccess chaos rebalance``: one abandoned entry at a time was
claimed but never read again, so its event was never published.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from shared import events as ev
from shared.outbox import RELAY_GROUP, OutboxRelay, stage
from shared.runtime import create_redis
from tests.support.infra import Endpoints
from tests.support.outbox import RecordingProducer

CLAIM_IDLE_MS = 300


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = create_redis(endpoints.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def stream(redis: Redis) -> AsyncIterator[str]:
    name = f"handover-{uuid.uuid4().hex[:8]}:outbox"
    await redis.xgroup_create(name, RELAY_GROUP, id="0", mkstream=True)
    yield name
    await redis.delete(name)


def withdrawn() -> ev.RequestWithdrawn:
    return ev.RequestWithdrawn(
        request_id=uuid.uuid4(), system_id="s", vendor_org_no="314000110", party_org_no="310614289"
    )


async def abandon(redis: Redis, stream: str, count: int) -> list[str]:
    """Write ``count`` entries and have a relay that then dies read them; their event ids."""
    messages = [withdrawn() for _ in range(count)]
    async with redis.pipeline(transaction=True) as pipe:
        stage(pipe, stream, *messages)
        await pipe.execute()
    read: Any = await redis.xreadgroup(
        RELAY_GROUP, f"dead-{uuid.uuid4().hex[:6]}", {stream: ">"}, count=count
    )
    assert sum(len(entries) for _, entries in read) == count
    return [str(m.event_id) for m in messages]


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


def published_ids(producer: RecordingProducer) -> list[str]:
    return [record["headers"]["event-id"] for record in producer.sent]


@pytest.mark.parametrize("abandoned", [1, 3])
async def test_a_live_relay_publishes_what_a_dead_relay_had_read(
    redis: Redis, stream: str, abandoned: int
) -> None:
    event_ids = await abandon(redis, stream, abandoned)
    producer = RecordingProducer()
    relay = OutboxRelay(redis, producer, stream, block_ms=50, claim_idle_ms=CLAIM_IDLE_MS)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: len(producer.sent) >= abandoned)
    finally:
        relay.stop()
        await asyncio.gather(task, return_exceptions=True)
    assert sorted(published_ids(producer)) == sorted(event_ids)
    assert await redis.xlen(stream) == 0
    assert (await redis.xpending(stream, RELAY_GROUP))["pending"] == 0


async def test_entries_abandoned_one_after_another_are_each_published(redis: Redis, stream: str) -> None:
    """Each claim finds one entry (they went idle at different times); each is still published."""
    producer = RecordingProducer()
    relay = OutboxRelay(redis, producer, stream, block_ms=50, claim_idle_ms=CLAIM_IDLE_MS)
    first = await abandon(redis, stream, 1)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(CLAIM_IDLE_MS / 1000 / 2)
        second = await abandon_while_running(redis, stream)
        await eventually(lambda: len(producer.sent) >= 2)
    finally:
        relay.stop()
        await asyncio.gather(task, return_exceptions=True)
    assert sorted(published_ids(producer)) == sorted(first + second)
    assert await redis.xlen(stream) == 0


async def abandon_while_running(redis: Redis, stream: str) -> list[str]:
    """An entry a dead relay read while a live one runs: written and read in one transaction,
    so the live relay never sees it as new."""
    message = withdrawn()
    consumer = f"dead-{uuid.uuid4().hex[:6]}"
    async with redis.pipeline(transaction=True) as pipe:
        stage(pipe, stream, message)
        pipe.xreadgroup(RELAY_GROUP, consumer, {stream: ">"}, count=1)
        read: Any = (await pipe.execute())[1]
    assert sum(len(entries) for _, entries in read or []) == 1
    return [str(message.event_id)]

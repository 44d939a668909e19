"""The outbox against a real Redis, with Kafka replaced by a producer that is down and then up:
the backlog gauge counts the waiting entries while nothing can be published, and each record
goes out with a traceparent that continues the trace the entry was written in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from shared import events as ev
from shared import tracing
from shared.outbox import OutboxRelay, stage
from shared.runtime import create_redis
from tests.support.infra import Endpoints
from tests.support.outbox import RecordingProducer
from tests.support.tracing import span_exporter


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = create_redis(endpoints.redis_url)
    yield client
    await client.aclose()


def gauge(stream: str) -> float | None:
    return REGISTRY.get_sample_value("sysaccess_outbox_backlog", {"stream": stream})


async def eventually(check: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def test_the_backlog_shows_while_kafka_is_down_and_records_carry_the_trace(redis: Redis) -> None:
    exporter = span_exporter()
    stream = f"obs-{uuid.uuid4().hex[:8]}:outbox"
    withdrawn = [
        ev.RequestWithdrawn(
            request_id=uuid.uuid4(), system_id="s", vendor_org_no="314000110", party_org_no="310614289"
        )
        for _ in range(3)
    ]
    with tracing.span("vendor post") as post:
        async with redis.pipeline(transaction=True) as pipe:
            stage(pipe, stream, *withdrawn)
            await pipe.execute()
    producer = RecordingProducer(down=True)
    relay = OutboxRelay(redis, producer, stream, block_ms=50)
    delays = (
        REGISTRY.get_sample_value("sysaccess_outbox_publish_delay_seconds_count", {"stream": stream}) or 0
    )
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: gauge(stream) == 3)
        await asyncio.sleep(0.5)  # failing publishes keep it there
        assert gauge(stream) == 3
        assert producer.sent == []

        exporter.clear()
        producer.down = False
        await eventually(lambda: gauge(stream) == 0 and len(producer.sent) == 3)
    finally:
        relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.delete(stream)

    trace_id = format(post.get_span_context().trace_id, "032x")
    publishes = {
        format(s.context.span_id, "016x"): s
        for s in exporter.get_finished_spans()
        if s.name.endswith(" publish")
    }
    for record in producer.sent:
        _version, record_trace, parent_span, _flags = record["headers"]["traceparent"].split("-")
        assert record_trace == trace_id
        # The record's parent is the relay's producer span, itself a child of the vendor's POST.
        assert parent_span in publishes
        publish_parent = publishes[parent_span].parent
        assert publish_parent is not None
        assert publish_parent.span_id == post.get_span_context().span_id
        assert record["headers"]["event-type"] == "RequestWithdrawn"
    count = REGISTRY.get_sample_value("sysaccess_outbox_publish_delay_seconds_count", {"stream": stream})
    assert count == delays + 3

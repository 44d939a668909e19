"""Every service's broker, in FastStream's in-memory test mode: a consumer continues the trace of
the record it handles, and messages, errors and dead letters are counted per topic."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from opentelemetry import trace
from prometheus_client import REGISTRY

from shared import tracing
from shared.deadletter import RetryPolicy
from shared.runtime import ServiceRuntime
from tests.support.tracing import span_exporter

pytestmark = pytest.mark.unit

TOPIC = "unit.instrumented.v1"
SERVICE = "unit-broker"


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def runtime() -> ServiceRuntime:
    # Nothing connects: FastStream's test client replaces Kafka, and Redis is never used.
    return ServiceRuntime.build(
        SERVICE,
        "127.0.0.1:9",
        "redis://127.0.0.1:9/0",
        outbox_stream=None,
        retry=RetryPolicy(attempts=2, first_delay=0.001, max_delay=0.001),
    )


async def test_the_consumer_continues_the_publisher_s_trace_and_is_counted_per_topic() -> None:
    exporter = span_exporter()
    service = runtime()
    seen: list[int] = []

    @service.broker.subscriber(TOPIC, group_id="unit-group")
    async def handle(body: dict[str, Any]) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    received = {"app_name": SERVICE, "broker": "kafka", "handler": TOPIC}
    before = sample("faststream_received_messages_total", received)
    async with TestKafkaBroker(service.broker) as broker:
        with tracing.span("vendor post") as origin:
            await broker.publish({"n": 1}, topic=TOPIC)
    assert seen == [origin.get_span_context().trace_id]
    assert sample("faststream_received_messages_total", received) == before + 1
    assert sample("faststream_received_processed_messages_duration_seconds_count", received) >= 1
    published = {"app_name": SERVICE, "broker": "kafka", "destination": TOPIC, "status": "success"}
    assert sample("faststream_published_messages_total", published) >= 1
    names = {span.name for span in exporter.get_finished_spans()}
    assert f"{TOPIC} process" in names


async def test_failed_attempts_and_the_dead_letter_are_counted_for_the_topic() -> None:
    service = runtime()
    topic = "unit.failing.v1"

    @service.broker.subscriber(topic, group_id="unit-group")
    async def handle(body: dict[str, Any]) -> None:
        raise RuntimeError("downstream is down")

    @service.broker.subscriber(f"{topic}.dlq", group_id="unit-dlq")
    async def dead(body: dict[str, Any]) -> None:
        dead_letters.append(body)

    dead_letters: list[dict[str, Any]] = []
    errors = {"app_name": SERVICE, "broker": "kafka", "handler": topic, "exception_type": "RuntimeError"}
    letters = {"topic": topic, "reason": "exhausted"}
    before_errors = sample("faststream_received_processed_messages_exceptions_total", errors)
    before_letters = sample("sysaccess_dead_letters_total", letters)
    async with TestKafkaBroker(service.broker) as broker:
        await broker.publish({"n": 2}, topic=topic)
    assert dead_letters == [{"n": 2}]
    assert sample("faststream_received_processed_messages_exceptions_total", errors) == before_errors + 2
    assert sample("sysaccess_dead_letters_total", letters) == before_letters + 1

"""A dependency outage makes a message wait; only a message's own failures use up its attempts."""

from __future__ import annotations

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.deadletter import RetryPolicy, dead_letter_middleware

pytestmark = pytest.mark.unit
FAST = RetryPolicy(attempts=3, first_delay=0.001, max_delay=0.002)


def broker_with(handler_failures: list[Exception]) -> tuple[KafkaBroker, list[str], list[bytes]]:
    broker = KafkaBroker()
    broker.add_middleware(dead_letter_middleware(broker, FAST))
    handled: list[str] = []
    dead: list[bytes] = []

    @broker.subscriber("work", group_id="g")
    async def work(body: str) -> None:
        if handler_failures:
            raise handler_failures.pop(0)
        handled.append(body)

    @broker.subscriber("work.dlq", group_id="g2")
    async def dead_letter(body: bytes) -> None:
        dead.append(body)

    return broker, handled, dead


async def test_a_redis_outage_longer_than_the_attempts_loses_nothing() -> None:
    broker, handled, dead = broker_with([RedisConnectionError("down")] * 10)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish("job", "work")
    assert handled == ["job"]
    assert dead == []


async def test_a_failing_message_is_dead_lettered_after_its_attempts() -> None:
    broker, handled, dead = broker_with([RuntimeError("bug")] * 10)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish("job", "work")
    assert handled == []
    assert len(dead) == 1

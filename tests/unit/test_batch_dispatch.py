"""The services' batch dispatch (shared.routing): per record, by the topic table, one poison record
dead-lettered alone, partitions in offset order, and a failed dead letter fails the batch."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from shared import events as ev
from shared import topics
from shared.deadletter import PermanentError, RetryPolicy
from shared.routing import Dispatcher, Route

pytestmark = pytest.mark.unit

FAST = RetryPolicy(attempts=3, first_delay=0.001, max_delay=0.001)


class Letters:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[int, str, int]] = []
        self.fail = fail

    async def send(self, record: Any, exc: BaseException, attempts: int) -> None:
        if self.fail:
            raise OSError("broker down")
        self.sent.append((record.offset, type(exc).__name__, attempts))


def withdrawn(request_id: uuid.UUID | None = None) -> ev.RequestWithdrawn:
    payload = ev.example_payload(ev.RequestWithdrawn)
    event = ev.RequestWithdrawn.model_validate(payload)
    return event.model_copy(update={"request_id": request_id or uuid.uuid4(), "event_id": uuid.uuid4()})


def record(topic: topics.Topic, offset: int, value: bytes, partition: int = 0) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic=topic.name,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=[],
    )


async def test_each_record_reaches_its_use_case_in_partition_order() -> None:
    seen: list[tuple[str, str]] = []

    async def on_withdrawn(event: ev.RequestWithdrawn) -> None:
        await asyncio.sleep(0.001 if event.request_id.int % 2 else 0)
        seen.append(("withdrawn", str(event.request_id)))

    letters = Letters()
    dispatcher = Dispatcher([Route(topics.REQUEST_WITHDRAWN, on_withdrawn)], letters, FAST)  # type: ignore[arg-type]
    events = [withdrawn() for _ in range(6)]
    records = [
        record(topics.REQUEST_WITHDRAWN, offset, e.to_json_bytes(), partition=offset % 2)
        for offset, e in enumerate(events)
    ]
    await dispatcher.handle_batch(list(reversed(records)))
    assert sorted(seen) == sorted(("withdrawn", str(e.request_id)) for e in events)
    for partition in (0, 1):
        order = [s[1] for s in seen if s[1] in {str(e.request_id) for e in events[partition::2]}]
        assert order == [str(e.request_id) for e in events[partition::2]]
    assert letters.sent == []


async def test_a_poison_record_is_dead_lettered_alone_and_the_batch_goes_on() -> None:
    handled: list[str] = []
    attempts: dict[str, int] = {}
    poison_id = uuid.uuid4()

    async def on_withdrawn(event: ev.RequestWithdrawn) -> None:
        attempts[str(event.request_id)] = attempts.get(str(event.request_id), 0) + 1
        if event.request_id == poison_id:
            raise RuntimeError("always fails")
        handled.append(str(event.request_id))

    letters = Letters()
    dispatcher = Dispatcher([Route(topics.REQUEST_WITHDRAWN, on_withdrawn)], letters, FAST)  # type: ignore[arg-type]
    good = [withdrawn(), withdrawn()]
    batch = [
        record(topics.REQUEST_WITHDRAWN, 0, good[0].to_json_bytes()),
        record(topics.REQUEST_WITHDRAWN, 1, withdrawn(poison_id).to_json_bytes()),
        record(topics.REQUEST_WITHDRAWN, 2, b"{not json"),
        record(topics.REQUEST_WITHDRAWN, 3, good[1].to_json_bytes()),
    ]
    await dispatcher.handle_batch(batch)
    assert handled == [str(good[0].request_id), str(good[1].request_id)]
    # Retried up to the policy's attempts, then dead-lettered; the unparsable one at once.
    assert letters.sent == [(1, "RuntimeError", 3), (2, "ValidationError", 1)]
    assert attempts[str(poison_id)] == 3
    assert attempts[str(good[0].request_id)] == attempts[str(good[1].request_id)] == 1


async def test_a_permanent_error_is_not_retried() -> None:
    async def refuse(event: ev.RequestWithdrawn) -> None:
        raise PermanentError("never")

    letters = Letters()
    dispatcher = Dispatcher([Route(topics.REQUEST_WITHDRAWN, refuse)], letters, FAST)  # type: ignore[arg-type]
    await dispatcher.handle_batch([record(topics.REQUEST_WITHDRAWN, 7, withdrawn().to_json_bytes())])
    assert letters.sent == [(7, "PermanentError", 1)]


async def test_a_dead_letter_that_cannot_be_written_fails_the_batch_after_the_others_finished() -> None:
    handled: list[int] = []

    async def on_withdrawn(event: ev.RequestWithdrawn) -> None:
        await asyncio.sleep(0.01)
        handled.append(1)

    dispatcher = Dispatcher(
        [Route(topics.REQUEST_WITHDRAWN, on_withdrawn)],
        Letters(fail=True),  # type: ignore[arg-type]
        FAST,
    )
    batch = [
        record(topics.REQUEST_WITHDRAWN, 0, b"poison", partition=0),
        record(topics.REQUEST_WITHDRAWN, 0, withdrawn().to_json_bytes(), partition=1),
    ]
    with pytest.raises(OSError, match="broker down"):
        await dispatcher.handle_batch(batch)
    assert handled == [1]


def test_a_topic_is_routed_once() -> None:
    async def noop(event: Any) -> None:
        return None

    with pytest.raises(ValueError, match="routed twice"):
        Dispatcher(
            [Route(topics.REQUEST_WITHDRAWN, noop), Route(topics.REQUEST_WITHDRAWN, noop)],
            Letters(),  # type: ignore[arg-type]
            FAST,
        )


async def test_a_record_waits_out_an_outage_without_using_its_attempts() -> None:
    """Redis restarting is nobody's record's fault: more failures than the attempts allow, and
    the record is still handled, not dead-lettered (the chaos redis-restart run found this)."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    failures = {"left": FAST.attempts + 2}
    handled: list[str] = []

    async def on_withdrawn(event: ev.RequestWithdrawn) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RedisConnectionError("Connection refused")
        handled.append(str(event.request_id))

    letters = Letters()
    dispatcher = Dispatcher([Route(topics.REQUEST_WITHDRAWN, on_withdrawn)], letters, FAST)  # type: ignore[arg-type]
    event = withdrawn()
    await dispatcher.handle_batch([record(topics.REQUEST_WITHDRAWN, 0, event.to_json_bytes())])
    assert handled == [str(event.request_id)]
    assert letters.sent == []

"""A service's Kafka wiring as one table: which topic goes to which use case.

Each service lists its subscriptions as ``Route`` rows in ``handlers/kafka.py``; this module
turns the rows into **one** FastStream batch subscriber per service (one consumer, one consumer
group over all the service's topics), with the project's consumer options, so the options, the
group naming and the handler shape are written once.

A batch is dispatched record by record on the topic table:

- records of one partition are handled in offset order (each topic is keyed by request id, so
  a request's events stay in order), partitions concurrently;
- each record is parsed into its topic's message type and handed to its use case, which keeps
  its own per-record idempotency guard (``shared.idempotency``);
- a record that keeps failing, or cannot be parsed, is retried with back-off and then written
  alone to its topic's dead-letter topic; the rest of the batch goes on, nothing is replayed;
- the offsets of the whole batch are committed once, after every record was handled or
  dead-lettered. If a dead letter cannot be written, the batch is not committed: the consumer
  rewinds to the batch's first records, and the idempotency guards drop what was already applied.

The per-topic channels of the AsyncAPI document are declared on a separate, never-started broker
(``document_on``), so the document still shows one typed channel per topic.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from prometheus_client import Histogram

from shared import tracing
from shared.deadletter import DeadLetters, RetryPolicy, handle_with_retries
from shared.kafka import BATCH_CONFIG, CONSUMER_CONFIG, subscriber_options
from shared.topics import Topic

__all__ = ["Dispatcher", "Route", "declare_publishers", "subscribe"]


CONSUME_DELAY = Histogram(
    "sysaccess_consume_delay_seconds",
    "From a record's timestamp (when it was produced) to the start of its handling",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

UseCase = Callable[[Any], Awaitable[object]]


@dataclass(frozen=True)
class Route:
    """One row of a service's Kafka table: messages on ``topic`` go to ``use_case``."""

    topic: Topic
    use_case: UseCase


class Dispatcher:
    """Handles one batch of records from several topics: per record, by the topic table."""

    def __init__(self, routes: Iterable[Route], dead_letters: DeadLetters, policy: RetryPolicy) -> None:
        self.table: dict[str, Route] = {}
        for route in routes:
            if route.topic.name in self.table:
                raise ValueError(f"{route.topic.name} is routed twice")
            self.table[route.topic.name] = route
        self.dead_letters = dead_letters
        self.policy = policy

    @property
    def topic_names(self) -> list[str]:
        return list(self.table)

    async def handle_batch(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Every record handled or dead-lettered; raises (after all partitions finished) when a
        dead letter could not be written, so the batch is not committed."""
        by_partition: dict[tuple[str, int], list[ConsumerRecord[Any, Any]]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        if len(by_partition) == 1:
            await self._partition(next(iter(by_partition.values())))
            return
        results = await asyncio.gather(
            *(self._partition(batch) for batch in by_partition.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _partition(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        for record in sorted(records, key=lambda r: r.offset):
            await self.handle_record(record)

    async def handle_record(self, record: ConsumerRecord[Any, Any]) -> None:
        route = self.table[record.topic]
        if record.timestamp > 0:
            CONSUME_DELAY.labels(record.topic).observe(max(0.0, time.time() - record.timestamp / 1000))
        # FastStream's middleware sees only the batch; each record continues its own trace here,
        # so what its use case stores and publishes (and a dead letter) carries that trace on.
        with tracing.record_span(record):

            async def apply() -> None:
                await route.use_case(route.topic.message.model_validate_json(record.value or b""))

            async def dead_letter(exc: BaseException, attempts: int) -> None:
                await self.dead_letters.send(record, exc, attempts)

            await handle_with_retries(record.topic, apply, self.policy, dead_letter)


async def _records(message: Any) -> Any:
    """The batch decoder: the handler gets the raw records and parses each into its topic's type
    itself, so nothing is decoded twice (and no context lookup runs in a thread)."""
    return message.raw_message


def _fetch_without_idle_sleep(subscriber: Any, max_records: int, poll_ms: int) -> None:
    """FastStream's batch subscriber sleeps as long again after an empty fetch; a record that
    arrives during that sleep would wait for it. Poll without the extra sleep: ``getmany`` itself
    returns as soon as records arrive and otherwise wakes the loop every ``poll_ms``."""

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[Any, Any], ...]:
        fetched = await consumer.getmany(timeout_ms=poll_ms, max_records=max_records)
        return tuple(record for records in fetched.values() for record in records)

    subscriber.get_msg = get_msg


def subscribe(
    broker: KafkaBroker,
    group_id: str,
    routes: Iterable[Route],
    *,
    document_on: KafkaBroker | None = None,
    policy: RetryPolicy | None = None,
) -> Dispatcher:
    """One batch subscriber (one consumer in group ``group_id``) over every routed topic; the
    batch's offsets are committed once, after every record was handled or dead-lettered.

    With ``document_on``, each route is also declared there as a typed per-topic subscriber, for
    the service's AsyncAPI document (that broker is never started)."""
    routes = list(routes)
    dispatcher = Dispatcher(routes, DeadLetters(broker), policy or RetryPolicy())
    subscriber = broker.subscriber(
        *dispatcher.topic_names,
        group_id=group_id,
        batch=True,
        max_records=BATCH_CONFIG["max_records"],
        batch_timeout_ms=BATCH_CONFIG["poll_ms"],
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_records,
        include_in_schema=False,
        **CONSUMER_CONFIG,
    )
    _fetch_without_idle_sleep(subscriber, BATCH_CONFIG["max_records"], BATCH_CONFIG["poll_ms"])

    async def handle(records: Any) -> None:
        await dispatcher.handle_batch(records)

    handle.__name__ = handle.__qualname__ = f"on_{group_id.replace('-', '_')}_batch"
    subscriber(handle)
    if document_on is not None:
        for route in routes:
            document_on.subscriber(route.topic.name, **subscriber_options(group_id, route.topic))(
                _documented(route)
            )
    return dispatcher


def _documented(route: Route) -> Callable[..., Awaitable[None]]:
    async def handle(message: Any) -> None:  # pragma: no cover - documentation only, never started
        await route.use_case(message)

    # FastStream names the AsyncAPI channel after the function and takes the payload schema from
    # the annotation, so both come from the topic rather than from hand-written code.
    handle.__annotations__ = {"message": route.topic.message, "return": None}
    handle.__name__ = handle.__qualname__ = route.topic.handler_name
    return handle


def declare_publishers(broker: KafkaBroker, topics: Iterable[Topic]) -> None:
    """Declare what a service publishes, for its AsyncAPI document; the outbox relay publishes."""
    for topic in topics:
        broker.publisher(topic.name, schema=topic.message, title=f"{topic.name}:Publish")

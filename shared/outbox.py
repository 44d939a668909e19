"""Transactional outbox in Redis, and the relay that publishes it to Kafka.

A service writes its state change and the events it causes in one MULTI/EXEC (or one Lua
script): the events go to a Redis stream. The relay reads the stream through a consumer
group, publishes with the idempotent producer, and deletes entries only after the broker
acknowledged them. A crash between publishing and deleting republishes the entry: the
event id stays the same, so consumers' idempotency guards drop the copy.

Each entry also stores the trace context it was written in (``trace``): the relay publishes the
entry from a producer span that continues that trace and sends the span's ``traceparent`` as a
Kafka header, so a trace goes on across the Redis hop to every consumer.

Metrics: ``sysaccess_outbox_backlog{stream}`` (entries waiting; measured on every loop of the
relay, so it keeps counting while Kafka is down), ``sysaccess_outbox_relayed_total{stream}``
and ``sysaccess_outbox_publish_delay_seconds{stream}`` (from writing an entry to Kafka's
acknowledgement of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, ResponseError

from shared import tracing
from shared.events import Message
from shared.topics import topic_for

log = structlog.get_logger(__name__)

RELAYED = Counter("sysaccess_outbox_relayed_total", "Outbox entries published to Kafka", ["stream"])
BACKLOG = Gauge("sysaccess_outbox_backlog", "Outbox entries not yet published", ["stream"])
PUBLISH_DELAY = Histogram(
    "sysaccess_outbox_publish_delay_seconds",
    "Time from writing an outbox entry to Kafka's acknowledgement of it",
    ["stream"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 1800.0),
)

RELAY_GROUP = "relay"


def outbox_fields(message: Message) -> dict[str, str]:
    """The entry of a message; ``trace`` is the current trace context (absent outside a span)."""
    topic = topic_for(message)
    fields = {
        "topic": topic.name,
        "key": topic.key_of(message).decode(),
        "headers": json.dumps(message.headers()),
        "body": message.to_json_bytes().decode(),
    }
    if trace := tracing.carrier_json():
        fields["trace"] = trace
    return fields


def _entry_age_seconds(entry_id: str, now: float) -> float | None:
    """Seconds since Redis added the entry (its id starts with the milliseconds of that time)."""
    try:
        millis = int(entry_id.split("-", 1)[0])
    except ValueError:
        return None
    return max(now - millis / 1000, 0.0)


def stage(pipe: Pipeline, stream: str, *messages: Message) -> None:
    """Queue the messages on a MULTI pipeline, next to the state change they belong to."""
    for message in messages:
        pipe.xadd(stream, outbox_fields(message))  # type: ignore[arg-type]


class OutboxRelay:
    """Moves entries from a Redis stream to Kafka, at least once, in stream order."""

    def __init__(
        self,
        redis: Redis,
        producer: AIOKafkaProducer,
        stream: str,
        *,
        batch_size: int = 500,
        block_ms: int = 1000,
        claim_idle_ms: int = 15000,
    ) -> None:
        self._redis = redis
        self._producer = producer
        self._stream = stream
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._claim_idle_ms = claim_idle_ms
        # Abandoned entries are looked for a few times per idle period, not on every round.
        self._claim_every = claim_idle_ms / 1000 / 3
        self._next_claim = 0.0
        # Own pending entries (claimed, or left by a failed publish) are read before new ones;
        # true at the start, after a claim and after a failure, until a read finds none.
        self._check_pending = True
        self._consumer = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._stopping = asyncio.Event()

    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):
            await self._redis.xgroup_create(self._stream, RELAY_GROUP, id="0", mkstream=True)

    async def run(self) -> None:
        await self.ensure_group()
        delay = 0.1
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= self._next_claim:
                    # The gauge is also set after every publish; this keeps it fresh when idle.
                    await self.measure_backlog()
                    await self._claim_abandoned()
                    self._next_claim = time.monotonic() + self._claim_every
                entries = await self._read()
                if entries:
                    await self._publish(entries)
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._check_pending = True
                log.warning("outbox.relay.retry", stream=self._stream, error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                    await self.ensure_group()

    def stop(self) -> None:
        self._stopping.set()

    async def measure_backlog(self) -> None:
        """Set the backlog gauge to the entries in the stream now; Redis unreachable: keep the last."""
        with contextlib.suppress(RedisError):
            BACKLOG.labels(self._stream).set(await self._redis.xlen(self._stream))

    async def _claim_abandoned(self) -> None:
        # Entries a dead relay read but never acknowledged go to this one. With JUSTID, redis-py
        # returns only the list of claimed ids (not Redis's [cursor, ids, deleted] reply).
        claimed: Any = await self._redis.xautoclaim(
            self._stream,
            RELAY_GROUP,
            self._consumer,
            self._claim_idle_ms,
            "0-0",
            count=self._batch_size,
            justid=True,
        )
        if claimed:
            self._check_pending = True

    async def _read(self) -> list[tuple[str, dict[str, str]]]:
        # Own pending entries first (claimed or left over from a failed publish), then new ones.
        cursors: tuple[tuple[str, int | None], ...] = ((">", self._block_ms),)
        if self._check_pending:
            cursors = (("0", None), *cursors)
        for cursor, block in cursors:
            reply: Any = await self._redis.xreadgroup(
                RELAY_GROUP,
                self._consumer,
                {self._stream: cursor},
                count=self._batch_size,
                block=block,
            )
            entries = [(eid, fields) for _, batch in reply or [] for eid, fields in batch]
            if entries:
                return entries
            if cursor == "0":
                self._check_pending = False
        return []

    async def _publish(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        futures = []
        spans = [self._producer_span(fields) for _, fields in entries]
        try:
            for (_, fields), span in zip(entries, spans, strict=True):
                stored = json.loads(fields["headers"])
                headers = {k: v for k, v in stored.items() if k not in ("traceparent", "tracestate")}
                headers |= tracing.carrier_of(span)
                futures.append(
                    await self._producer.send(
                        fields["topic"],
                        value=fields["body"].encode(),
                        key=fields["key"].encode(),
                        headers=[(k, v.encode()) for k, v in headers.items()],
                    )
                )
            await asyncio.gather(*futures)
        except BaseException as exc:
            for span in spans:
                span.set_status(Status(StatusCode.ERROR, repr(exc)[:200]))
            raise
        finally:
            for span in spans:
                span.end()
        ids = [eid for eid, _ in entries]
        acknowledged = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream, RELAY_GROUP, *ids)
            pipe.xdel(self._stream, *ids)
            pipe.xlen(self._stream)
            *_, backlog = await pipe.execute()
        RELAYED.labels(self._stream).inc(len(ids))
        for eid in ids:
            if (age := _entry_age_seconds(eid, acknowledged)) is not None:
                PUBLISH_DELAY.labels(self._stream).observe(age)
        BACKLOG.labels(self._stream).set(backlog)

    def _producer_span(self, fields: dict[str, str]) -> tracing.Span:
        """The publish of one entry, in the trace the entry was written in."""
        return tracing.start_span(
            f"{fields['topic']} publish",
            parent=tracing.carrier_from_json(fields.get("trace")),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation": "publish",
                "messaging.destination.name": fields["topic"],
                "messaging.kafka.message.key": fields["key"],
                "sysaccess.outbox.stream": self._stream,
            },
        )

"""Transactional outbox in Redis, and the relay that publishes it to Kafka.

A service writes its state change and the events it causes in one MULTI/EXEC (or one Lua
script): the events go to a Redis stream. The relay reads the stream through a consumer
group, publishes with the idempotent producer, and deletes entries only after the broker
acknowledged them. A crash between publishing and deleting republishes the entry: the
event id stays the same, so consumers' idempotency guards drop the copy.
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
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from shared.events import Message
from shared.topics import topic_for

log = structlog.get_logger(__name__)

RELAYED = Counter("sysaccess_outbox_relayed_total", "Outbox entries published to Kafka", ["stream"])
BACKLOG = Gauge("sysaccess_outbox_backlog", "Outbox entries not yet published", ["stream"])

RELAY_GROUP = "relay"


def outbox_fields(message: Message) -> dict[str, str]:
    topic = topic_for(message)
    return {
        "topic": topic.name,
        "key": topic.key_of(message).decode(),
        "headers": json.dumps(message.headers()),
        "body": message.to_json_bytes().decode(),
    }


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

    async def _claim_abandoned(self) -> None:
        # Entries a dead relay read but never acknowledged go to this one.
        reply: Any = await self._redis.xautoclaim(
            self._stream,
            RELAY_GROUP,
            self._consumer,
            self._claim_idle_ms,
            "0-0",
            count=self._batch_size,
            justid=True,
        )
        if reply and len(reply) > 1 and reply[1]:
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
        for _, fields in entries:
            headers = [(k, v.encode()) for k, v in json.loads(fields["headers"]).items()]
            futures.append(
                await self._producer.send(
                    fields["topic"],
                    value=fields["body"].encode(),
                    key=fields["key"].encode(),
                    headers=headers,
                )
            )
        await asyncio.gather(*futures)
        ids = [eid for eid, _ in entries]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream, RELAY_GROUP, *ids)
            pipe.xdel(self._stream, *ids)
            pipe.xlen(self._stream)
            *_, backlog = await pipe.execute()
        RELAYED.labels(self._stream).inc(len(ids))
        BACKLOG.labels(self._stream).set(backlog)

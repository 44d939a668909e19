"""Dead letters: list them, show one with its headers and error, and replay them.

A consumer that gives up on a record (shared/deadletter.py) writes it unchanged to
``<topic>.dlq`` with the error in ``dlq-*`` headers. Replaying republishes the record to its
original topic with the same key (so the same partition) and value, and with the original
record's headers: read from the original topic when retention still holds it there, otherwise
the dead letter's own headers without the ones the dead-lettering added.

The original topic is read by every consumer group subscribed to it, not only the one that
failed. That is safe because every consumer applies a record at most once per ``eventId``
(shared/idempotency.py): a group that applied it already, or a second replay, is a no-op.

A dead letter is named ``<dlq topic>:<partition>:<offset>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from rich.table import Table

from shared.idempotency import DEFAULT_RETENTION
from shared.kafka import PRODUCER_CONFIG
from shared.topics import ALL_TOPICS, NOTIFICATIONS_DEAD_LETTER
from sysaccess.kafka_logins import admin_options

DLQ_SUFFIX = ".dlq"
DLQ_HEADER_PREFIX = "dlq-"
# Headers FastStream's publish adds to the dead letter itself (an empty content type, a fresh
# correlation id); the outbox relay publishes without them, so they are not the original's.
TRANSPORT_HEADERS = ("content-type", "correlation_id")
# Dead letters of deliveries (e-mails, webhooks) are not Kafka records of a topic; they cannot
# be replayed to one.
NOT_REPLAYABLE = (NOTIFICATIONS_DEAD_LETTER,)
# Consumers remember an applied eventId this long (shared/idempotency.py). A record older than
# that may be applied again by a group that processed it the first time, so replay refuses it
# unless told otherwise. A day of margin for the time between processing and dead-lettering.
MAX_REPLAY_AGE_SECONDS = DEFAULT_RETENTION.total_seconds() - 86400


class DeadLetterError(RuntimeError):
    """A dead letter cannot be found, read or replayed; the message says why."""


@dataclass(frozen=True)
class DeadLetterId:
    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> DeadLetterId:
        parts = text.strip().rsplit(":", 2)
        if len(parts) != 3 or not parts[0].endswith(DLQ_SUFFIX):
            raise DeadLetterError(
                f"{text!r} is not a dead-letter id: expected <topic>.dlq:<partition>:<offset>, "
                "as `sysaccess dlq list` shows"
            )
        try:
            partition, offset = int(parts[1]), int(parts[2])
        except ValueError as exc:
            raise DeadLetterError(f"{text!r}: partition and offset must be numbers") from exc
        if partition < 0 or offset < 0:
            raise DeadLetterError(f"{text!r}: partition and offset cannot be negative")
        return cls(parts[0], partition, offset)


@dataclass(frozen=True)
class DeadLetter:
    id: DeadLetterId
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str, default: str = "") -> str:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return default

    @property
    def error(self) -> str:
        return self.header("dlq-error")

    @property
    def reason(self) -> str:
        return self.header("dlq-reason")

    @property
    def attempts(self) -> str:
        return self.header("dlq-attempts")

    @property
    def original_topic(self) -> str:
        return self.header("dlq-original-topic") or self.id.topic.removesuffix(DLQ_SUFFIX)

    @property
    def original_position(self) -> tuple[int, int] | None:
        try:
            return int(self.header("dlq-original-partition")), int(self.header("dlq-original-offset"))
        except ValueError:
            return None

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    def payload(self) -> Any:
        """The value parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.value)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def event_id(self) -> str:
        body = self.payload()
        return str(body.get("eventId", "")) if isinstance(body, dict) else ""

    @property
    def event_type(self) -> str:
        """From the header when there is one, else the type the original topic carries (one
        message type per topic), or the kind of a failed delivery."""
        header = self.header("event-type")
        if header:
            return header
        for topic in ALL_TOPICS:
            if topic.name == self.original_topic:
                return topic.message.event_type
        body = self.payload()
        return str(body.get("kind", "")) if isinstance(body, dict) and "jobId" in body else ""

    @property
    def replayable(self) -> bool:
        return self.id.topic not in NOT_REPLAYABLE

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.at).total_seconds()

    def replay_headers(self, original: Sequence[tuple[str, bytes]] | None) -> list[tuple[str, bytes]]:
        """The headers to republish with: the original record's, or ours without what dead-lettering added."""
        if original is not None:
            return [(k, v) for k, v in original if not k.startswith(DLQ_HEADER_PREFIX)]
        return [
            (k, v)
            for k, v in self.headers
            if not k.startswith(DLQ_HEADER_PREFIX) and k not in TRANSPORT_HEADERS
        ]


def dlq_topic_of(topic: str) -> str:
    """Accept a topic or its dead-letter topic; return the dead-letter topic."""
    return topic if topic.endswith(DLQ_SUFFIX) else f"{topic}{DLQ_SUFFIX}"


def _consumer(bootstrap: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=15000,
        max_partition_fetch_bytes=2_000_000,
        **admin_options(bootstrap),
    )


async def _start(client: AIOKafkaConsumer | AIOKafkaProducer, bootstrap: str) -> None:
    try:
        await asyncio.wait_for(client.start(), timeout=20)
    except (KafkaError, TimeoutError, OSError) as exc:
        with contextlib.suppress(Exception):
            await client.stop()
        raise DeadLetterError(f"cannot reach Kafka at {bootstrap}: {exc!r}") from exc


def _letter(topic: str, msg: Any) -> DeadLetter:
    return DeadLetter(
        DeadLetterId(topic, msg.partition, msg.offset),
        msg.timestamp,
        msg.key,
        msg.value if msg.value is not None else b"",
        tuple((k, v or b"") for k, v in msg.headers),
    )


async def dlq_topics(bootstrap: str) -> list[str]:
    """Every dead-letter topic the broker has."""
    consumer = _consumer(bootstrap)
    await _start(consumer, bootstrap)
    try:
        return sorted(t for t in await consumer.topics() if t.endswith(DLQ_SUFFIX))
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic) or set()
    return [TopicPartition(topic, p) for p in sorted(partitions)]


async def read_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every dead letter on a dead-letter topic, oldest first per partition."""
    dlq = dlq_topic_of(topic)
    consumer = _consumer(bootstrap)
    await _start(consumer, bootstrap)
    try:
        tps = await _partitions(consumer, dlq)
        if not tps:
            raise DeadLetterError(f"topic {dlq} does not exist on {bootstrap}")
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        found: list[DeadLetter] = []
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= end[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            found += [
                _letter(dlq, m)
                for msgs in batch.values()
                for m in msgs
                if m.offset < end[TopicPartition(dlq, m.partition)]
            ]
        return sorted(found, key=lambda d: (d.id.partition, d.id.offset))
    finally:
        await consumer.stop()


async def _read_at(
    consumer: AIOKafkaConsumer, topic: str, partition: int, offset: int, timeout: float = 10.0
) -> Any | None:
    """The record at one offset, or None when it is not (or no longer) there."""
    tp = TopicPartition(topic, partition)
    if tp not in await _partitions(consumer, topic):
        return None
    first = (await consumer.beginning_offsets([tp]))[tp]
    end = (await consumer.end_offsets([tp]))[tp]
    if not first <= offset < end:
        return None
    consumer.assign([tp])
    consumer.seek(tp, offset)
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(tp, timeout_ms=500, max_records=50)
        for msg in batch.get(tp, []):
            if msg.offset == offset:
                return msg
            if msg.offset > offset:
                return None  # compacted or a transaction marker
    return None


async def get_dead_letter(bootstrap: str, letter_id: DeadLetterId) -> DeadLetter:
    consumer = _consumer(bootstrap)
    await _start(consumer, bootstrap)
    try:
        msg = await _read_at(consumer, letter_id.topic, letter_id.partition, letter_id.offset)
    finally:
        await consumer.stop()
    if msg is None:
        raise DeadLetterError(f"no dead letter {letter_id} on {bootstrap} (wrong id, or past retention)")
    return _letter(letter_id.topic, msg)


@dataclass
class ReplayOutcome:
    letter: DeadLetter
    status: str  # "republished", "skipped"
    detail: str = ""
    target: str = ""
    headers_from: str = ""  # "original record" or "dead letter"


def refusal(
    letter: DeadLetter, *, include_invalid: bool, allow_old: bool, now: datetime | None = None
) -> str:
    """Why a dead letter must not be replayed, or "" when it may."""
    if not letter.replayable:
        return f"{letter.id.topic} holds failed deliveries, not records"
    if letter.reason == "invalid" and not include_invalid:
        return "dead-lettered as invalid (use --include-invalid)"
    if not allow_old and letter.age_seconds(now) > MAX_REPLAY_AGE_SECONDS:
        days = DEFAULT_RETENTION.days
        return f"older than the {days}-day idempotency window: could apply twice (use --allow-old)"
    return ""


async def replay(
    bootstrap: str,
    letters: Iterable[DeadLetter],
    *,
    include_invalid: bool = True,
    allow_old: bool = False,
) -> list[ReplayOutcome]:
    """Republish each dead letter to its original topic; return what was done with each.

    ``include_invalid=False`` skips records dead-lettered as ``invalid`` (they could not even be
    parsed, so the same consumer would dead-letter them again). Records older than the
    consumers' idempotency window are skipped unless ``allow_old``.
    """
    consumer = _consumer(bootstrap)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="sysaccess-dlq-replay",
        max_request_size=2_000_000,
        **PRODUCER_CONFIG,
        **admin_options(bootstrap),
    )
    await _start(consumer, bootstrap)
    try:
        await _start(producer, bootstrap)
    except DeadLetterError:
        await consumer.stop()
        raise
    outcomes: list[ReplayOutcome] = []
    try:
        existing = await consumer.topics()
        for letter in letters:
            target = letter.original_topic
            if not letter.replayable:
                outcomes.append(
                    ReplayOutcome(
                        letter, "skipped", f"{letter.id.topic} holds failed deliveries, not records"
                    )
                )
                continue
            if letter.reason == "invalid" and not include_invalid:
                outcomes.append(
                    ReplayOutcome(letter, "skipped", "dead-lettered as invalid (use --include-invalid)")
                )
                continue
            if target not in existing or target.endswith(DLQ_SUFFIX):
                outcomes.append(ReplayOutcome(letter, "skipped", f"original topic {target!r} does not exist"))
                continue
            original_headers: list[tuple[str, bytes]] | None = None
            position = letter.original_position
            if position is not None:
                original = await _read_at(consumer, target, *position)
                if original is not None and original.value == letter.value and original.key == letter.key:
                    original_headers = [(k, v or b"") for k, v in original.headers]
            metadata = await producer.send_and_wait(
                target,
                letter.value,
                key=letter.key,
                headers=letter.replay_headers(original_headers),
            )
            outcomes.append(
                ReplayOutcome(
                    letter,
                    "republished",
                    f"{target}:{metadata.partition}:{metadata.offset}",
                    target,
                    "original record" if original_headers is not None else "dead letter",
                )
            )
    finally:
        await producer.stop()
        await consumer.stop()
    return outcomes


# -- output -------------------------------------------------------------------------------------


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _key(key: bytes | None) -> str:
    return "-" if key is None else key.decode(errors="replace")


def letters_table(letters: Sequence[DeadLetter], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("id", "at (UTC)", "key", "event", "event id", "reason", "tries", "error"):
        table.add_column(column, overflow="fold" if column in ("id", "error") else "ellipsis")
    for letter in letters:
        table.add_row(
            str(letter.id),
            f"{letter.at:%Y-%m-%d %H:%M:%S}",
            _short(_key(letter.key), 40),
            letter.event_type or "-",
            letter.event_id or "-",
            letter.reason or "-",
            letter.attempts or "-",
            _short(letter.error, 120) or "-",
        )
    return table


def summary_table(counts: dict[str, int]) -> Table:
    table = Table(title="Dead-letter topics")
    table.add_column("topic")
    table.add_column("records", justify="right")
    for topic, count in counts.items():
        table.add_row(topic, str(count))
    return table


def letter_tables(letter: DeadLetter) -> tuple[Table, Table]:
    facts = Table(title=f"Dead letter {letter.id}", show_header=False)
    facts.add_column("field", style="bold")
    facts.add_column("value", overflow="fold")
    position = letter.original_position
    rows = [
        ("dead-lettered at", f"{letter.at:%Y-%m-%d %H:%M:%S.%f} UTC"),
        ("original topic", letter.original_topic),
        ("original position", f"partition {position[0]}, offset {position[1]}" if position else "-"),
        ("key", _key(letter.key)),
        ("event type", letter.event_type or "-"),
        ("event id", letter.event_id or "-"),
        ("reason", letter.reason or "-"),
        ("attempts", letter.attempts or "-"),
        ("error", letter.error or "-"),
        ("replayable", "yes" if letter.replayable else "no: failed delivery, not a topic's record"),
        ("size", f"{len(letter.value)} bytes"),
    ]
    for name, value in rows:
        facts.add_row(name, value)
    headers = Table(title="Headers")
    headers.add_column("name")
    headers.add_column("value", overflow="fold")
    for header, raw in letter.headers:
        headers.add_row(header, _short(raw.decode(errors="replace"), 2000))
    return facts, headers


def pretty_value(letter: DeadLetter, limit: int = 4000) -> str:
    body = letter.payload()
    text = json.dumps(body, indent=2, ensure_ascii=False) if body is not None else repr(letter.value)
    return text if len(text) <= limit else f"{text[:limit]}\n… ({len(text) - limit} more characters)"


def outcomes_table(outcomes: Sequence[ReplayOutcome]) -> Table:
    table = Table(title="Replay")
    for column in ("dead letter", "event id", "result", "detail", "headers from"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        table.add_row(
            str(outcome.letter.id),
            outcome.letter.event_id or "-",
            outcome.status,
            outcome.detail,
            outcome.headers_from or "-",
        )
    return table

"""Reading and writing topics directly, to observe what the services publish."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events import Message
from shared.topics import topic_for


async def publish(bootstrap: str, *messages: Message) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for message in messages:
            topic = topic_for(message)
            await producer.send_and_wait(
                topic.name,
                message.to_json_bytes(),
                key=topic.key_of(message),
                headers=[(k, v.encode()) for k, v in message.headers().items()],
            )
    finally:
        await producer.stop()


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, *, settle: float = 1.0) -> list[dict[str, Any]]:
    """Every record on the topic, from the start, as dicts with value (parsed if JSON) and headers."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[dict[str, Any]] = []
        deadline = time.monotonic() + settle + 10
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= end[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=200)
            for msgs in batch.values():
                for msg in msgs:
                    try:
                        value: Any = json.loads(msg.value)
                    except (ValueError, TypeError):
                        value = msg.value
                    records.append(
                        {
                            "value": value,
                            "key": msg.key,
                            "headers": {k: v.decode() for k, v in msg.headers},
                        }
                    )
        return records
    finally:
        await consumer.stop()


async def wait_for_records(
    bootstrap: str,
    topic: str,
    predicate: Callable[[dict[str, Any]], bool],
    *,
    count: int = 1,
    timeout: float = 20.0,
    settle: float = 0.0,
) -> list[dict[str, Any]]:
    """Poll until at least ``count`` matching records exist; then wait ``settle`` and return all matches."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = [r for r in await read_all(bootstrap, topic) if predicate(r)]
        if len(found) >= count:
            break
        await asyncio.sleep(0.3)
    if settle:
        await asyncio.sleep(settle)
        found = [r for r in await read_all(bootstrap, topic) if predicate(r)]
    return found

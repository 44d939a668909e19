"""Reading and writing topics directly, to observe what the services publish."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.events import Message
from shared.topics import topic_for
from sysaccess.kafka_logins import admin_options
from sysaccess.topic_reader import read_topic


async def publish(bootstrap: str, *messages: Message) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **admin_options(bootstrap)
    )
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
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **admin_options(bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every record on the topic, from the start, with the value parsed when it is JSON."""
    records: list[dict[str, Any]] = []
    for record in await read_topic(bootstrap, topic):
        try:
            value: Any = json.loads(record.value)
        except (ValueError, TypeError):
            value = record.value
        records.append({"value": value, "key": record.key, "headers": record.headers})
    return records


def _matches(predicate: Callable[[dict[str, Any]], bool], record: dict[str, Any]) -> bool:
    # Topics are shared by the whole session, including the poison messages of the dead-letter
    # tests: a record the predicate cannot even read is simply not one of ours.
    try:
        return predicate(record)
    except (KeyError, TypeError, AttributeError):
        return False


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
        found = [r for r in await read_all(bootstrap, topic) if _matches(predicate, r)]
        if len(found) >= count:
            break
        await asyncio.sleep(0.3)
    if settle:
        await asyncio.sleep(settle)
        found = [r for r in await read_all(bootstrap, topic) if _matches(predicate, r)]
    return found

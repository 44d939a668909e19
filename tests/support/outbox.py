"""A stand-in for aiokafka's producer, for the outbox relay's tests against a real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import KafkaConnectionError


class RecordingProducer:
    """Refuses while ``down``, else records what it was sent (each send already acknowledged)."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.sent: list[dict[str, Any]] = []

    async def send(self, topic: str, *, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> Any:
        if self.down:
            raise KafkaConnectionError("Kafka is down")
        self.sent.append(
            {"topic": topic, "value": value, "key": key, "headers": {k: v.decode() for k, v in headers}}
        )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

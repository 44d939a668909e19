"""Decision commands onto Kafka, keyed by request id so one worker sees a request's commands in order."""

from __future__ import annotations

from faststream.kafka.publisher.usecase import DefaultPublisher

from shared import events as ev
from shared.topics import DECIDE_REQUEST

__all__ = ["KafkaDecisionCommands"]


class KafkaDecisionCommands:
    def __init__(self, publisher: DefaultPublisher) -> None:
        self.publisher = publisher

    async def send(self, command: ev.DecideRequest) -> None:
        await self.publisher.publish(
            command.to_json_bytes(), key=DECIDE_REQUEST.key_of(command), headers=command.headers()
        )

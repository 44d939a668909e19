"""Decision commands onto Kafka, keyed by request id so one worker sees a request's commands in order."""

from __future__ import annotations

from aiokafka.errors import KafkaError
from faststream.kafka.publisher.usecase import DefaultPublisher

from shared import events as ev
from shared.topics import DECIDE_REQUEST, Topic

from ..domain.refusals import Unavailable

__all__ = ["KafkaDecisionCommands"]


class KafkaDecisionCommands:
    def __init__(self, publisher: DefaultPublisher, topic: Topic = DECIDE_REQUEST) -> None:
        self.publisher = publisher
        self.topic = topic

    async def send(self, command: ev.DecideRequest | ev.DecideChangeRequest) -> None:
        """Publish and wait for the broker's acknowledgement; the worker stores the result.

        The producer's own delivery timeout is awaited rather than cut short: a command it
        gave up on is dropped, so "not recorded" is then true, whereas a cancelled wait could
        leave the command queued to be delivered after the user was told it was not.
        """
        try:
            await self.publisher.publish(
                command.to_json_bytes(), key=self.topic.key_of(command), headers=command.headers()
            )
        except (KafkaError, OSError, TimeoutError) as exc:
            raise Unavailable(f"decision command not published: {exc!r}") from exc

"""Dead letters of deliveries: jobs given up, published to Kafka for people to look at."""

from __future__ import annotations

import json

from faststream.kafka import KafkaBroker

from shared.topics import NOTIFICATIONS_DEAD_LETTER

from ..domain.deliveries import DeliveryJob
from .job_records import message_payload

__all__ = ["KafkaDeadLetters"]


class KafkaDeadLetters:
    """One JSON record per job given up, keyed by the job id, with the last error in a header."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(self, job: DeliveryJob, failed_attempts: int, error: str) -> None:
        record = {
            "jobId": job.id,
            "kind": job.channel,
            "deliveryId": job.delivery_id,
            "attempts": failed_attempts,
            "error": error,
            "payload": message_payload(job.message),
        }
        await self._broker.publish(
            json.dumps(record).encode(),
            topic=NOTIFICATIONS_DEAD_LETTER,
            key=job.id.encode(),
            headers={"dlq-reason": "exhausted", "dlq-error": error[:500]},
        )

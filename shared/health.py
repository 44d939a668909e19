"""Liveness and readiness of a service process.

Ready means the process can do its work: Redis answers, the Kafka producer is connected,
and every consumer has joined its group and received its assignment (which may be empty
when a group has more members than its topic has partitions: such a member is ready, idle).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client import Gauge
from redis.asyncio import Redis

__all__ = ["READY", "Readiness", "check_readiness", "consumers_assigned", "coordinator_failed"]

READY = Gauge("sysaccess_ready", "1 while the service is ready to work, else 0", ["service"])


@dataclass(frozen=True)
class Readiness:
    redis: bool
    kafka: bool
    consumers: bool

    @property
    def ready(self) -> bool:
        return self.redis and self.kafka and self.consumers

    def details(self) -> dict[str, str]:
        return {name: "ok" if up else "down" for name, up in vars(self).items()}


def coordinator_failed(consumer: Any) -> bool:
    """The consumer's group coordination task ended with an error: it will never fetch again.

    aiokafka ends that task on an unexpected error, e.g. uvloop's ``RuntimeError`` for a write on
    a connection the broker closed while it was down, and the consumer then only repeats the error.
    """
    task = getattr(getattr(consumer, "_coordinator", None), "_coordination_task", None)
    return task is not None and task.done() and not task.cancelled() and task.exception() is not None


def consumers_assigned(broker: KafkaBroker) -> bool:
    for subscriber in broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None or coordinator_failed(consumer):
            return False
        # aiokafka sets the subscription's assignment once the group join has completed.
        subscription = consumer._subscription.subscription
        if subscription is None or subscription.assignment is None:
            return False
    return True


async def _redis_up(redis: Redis) -> bool:
    try:
        return bool(await asyncio.wait_for(redis.ping(), timeout=2))
    except Exception:
        return False


async def _kafka_up(broker: KafkaBroker) -> bool:
    try:
        return bool(await asyncio.wait_for(broker.ping(timeout=2), 3))
    except Exception:
        return False


async def check_readiness(service: str, redis: Redis, broker: KafkaBroker) -> Readiness:
    redis_up, kafka_up = await asyncio.gather(_redis_up(redis), _kafka_up(broker))
    readiness = Readiness(redis=redis_up, kafka=kafka_up, consumers=consumers_assigned(broker))
    READY.labels(service).set(1 if readiness.ready else 0)
    return readiness

"""Store an event's notification plan in Redis, once per event id, in one transaction."""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared.idempotency import Write, apply_once
from shared.tracing import carrier_json

from ..domain.plans import NotificationPlan
from .job_records import job_hash
from .keys import NotifierKeys
from .portal_notifications import notification_json

__all__ = ["RedisNotificationSchedule"]


class RedisNotificationSchedule:
    """Writes the jobs (due now), the portal notifications and the event's id in one MULTI/EXEC.

    A redelivered event finds its id recorded and writes nothing, so each delivery is planned
    exactly once; ``ZADD NX`` keeps a job's due time if it was somehow planned before.
    """

    def __init__(self, redis: Redis, keys: NotifierKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def schedule(self, event_id: UUID, plan: NotificationPlan, now: float) -> bool:
        # The deliveries continue the trace of the event that planned them.
        trace = carrier_json()

        async def no_reads(pipe: Pipeline) -> Write:
            return lambda queued: self._write(queued, plan, now, trace)

        return await apply_once(self._redis, prefix=self._keys.prefix, event_id=str(event_id), plan=no_reads)

    def _write(self, pipe: Pipeline, plan: NotificationPlan, now: float, trace: str) -> None:
        for job in plan.jobs:
            pipe.hset(self._keys.job(job.id), mapping=job_hash(job, trace))
            pipe.zadd(self._keys.due, {job.id: now}, nx=True)
        for notification in plan.portal_notifications:
            pipe.set(self._keys.notification(notification.id), notification_json(notification))
            pipe.zadd(self._keys.notifications_of(notification.pid), {notification.id: now})

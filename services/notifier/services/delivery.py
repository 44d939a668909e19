"""Deliver due jobs: send each over its channel, then retry with back-off or dead-letter it.

``DeliverDueJobs`` is one step (claim a batch, attempt each job once); ``DeliveryLoop`` runs
that step for the life of the process. A job is leased while it is attempted, so a worker
that dies mid-attempt leaves it to the next one, with the same delivery id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from ..domain.deliveries import ClaimedJob, DeliveryFailed, DeliveryJob, Email, Webhook
from ..domain.retries import GiveUp, RetryLater, RetryPolicy, after_failure
from .ports import DeadLetters, DeliveryQueue, Sender

__all__ = ["DeliverDueJobs", "DeliveryLoop", "Senders"]

log = structlog.get_logger(__name__)

DELIVERED = Counter("sysaccess_notifications_delivered_total", "Deliveries that succeeded", ["kind"])
FAILED = Counter("sysaccess_notification_attempts_failed_total", "Delivery attempts that failed", ["kind"])
DEAD = Counter("sysaccess_notifications_dead_lettered_total", "Deliveries given up", ["kind"])


@dataclass(frozen=True, slots=True)
class Senders:
    """One sender per channel."""

    email: Sender[Email]
    webhook: Sender[Webhook]

    async def send(self, job: DeliveryJob) -> None:
        match job.message:
            case Email() as email:
                await self.email.send(job.delivery_id, email)
            case Webhook() as webhook:
                await self.webhook.send(job.delivery_id, webhook)


class DeliverDueJobs:
    """One step of delivery: claim the due jobs and attempt each once, concurrently."""

    def __init__(
        self,
        queue: DeliveryQueue,
        senders: Senders,
        dead_letters: DeadLetters,
        policy: RetryPolicy,
        *,
        lease_seconds: float,
        batch_size: int = 16,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._senders = senders
        self._dead_letters = dead_letters
        self._policy = policy
        self._lease_seconds = lease_seconds
        self._batch_size = batch_size
        self._clock = clock

    async def __call__(self) -> int:
        """Attempt every job due now (up to a batch); returns how many were attempted."""
        claimed = await self._queue.claim(self._clock(), self._lease_seconds, self._batch_size)
        await asyncio.gather(*(self._attempt(each) for each in claimed))
        return len(claimed)

    async def _attempt(self, claimed: ClaimedJob) -> None:
        job = claimed.job
        try:
            await self._senders.send(job)
        except DeliveryFailed as exc:
            FAILED.labels(job.channel).inc()
            await self._after_failure(claimed, str(exc))
            return
        await self._queue.delivered(job.id)
        DELIVERED.labels(job.channel).inc()

    async def _after_failure(self, claimed: ClaimedJob, error: str) -> None:
        job = claimed.job
        match after_failure(self._policy, claimed.failed_attempts, self._clock()):
            case RetryLater(at=at, failed_attempts=failed):
                await self._queue.retry_at(job.id, at)
                log.info("delivery.retry", job=job.id, kind=job.channel, attempts=failed, error=error)
            case GiveUp(failed_attempts=failed):
                # Published before the job is dropped: a crash in between repeats the dead letter
                # rather than losing it.
                await self._dead_letters.publish(job, failed, error)
                await self._queue.give_up(job.id)
                DEAD.labels(job.channel).inc()
                log.error("delivery.dead_letter", job=job.id, kind=job.channel, attempts=failed, error=error)


class DeliveryLoop:
    """Runs delivery steps until cancelled; pauses briefly when there was nothing to do."""

    def __init__(self, step: Callable[[], Awaitable[int]], idle_seconds: float = 0.1) -> None:
        self._step = step
        self._idle_seconds = idle_seconds

    async def run(self) -> None:
        while True:
            if not await self._step_safely():
                await asyncio.sleep(self._idle_seconds)

    async def _step_safely(self) -> int:
        # An outage (Redis, Kafka) must not end the loop: log it, pause, and try again.
        try:
            return await self._step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("delivery.loop.error", error=repr(exc))
            return 0

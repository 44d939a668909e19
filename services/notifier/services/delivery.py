"""Deliver due jobs: send each over its channel, then retry with back-off or dead-letter it.

Every attempt runs as a task of its own: nothing waits for the slowest of a batch. As attempt
slots free up, ``DeliverDueJobs`` claims more due jobs, and admits each into its lane (the
SMTP relay, or the webhook's host; see ``domain.concurrency``). A job whose lane is full is
postponed rather than waited for, so it holds neither a slot nor its lease, and a slow or
hostile receiver delays only its own deliveries. ``DeliveryLoop`` runs the steps for the life
of the process.

A job is leased while it is attempted, and every attempt ends well within the lease (a
deadline of ``attempt_share`` of it), so no other worker takes a job that is still under
way; a worker that dies mid-attempt leaves the job to the next one, with the same delivery id.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import structlog
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge

from shared import tracing

from ..domain.concurrency import ConcurrencyLimits, Lane, lane_of
from ..domain.deliveries import ClaimedJob, DeliveryFailed, DeliveryJob, Email, Webhook
from ..domain.retries import GiveUp, RetryLater, RetryPolicy, after_failure
from .ports import DeadLetters, DeliveryQueue, Sender

__all__ = ["DeliverDueJobs", "DeliveryLoop", "Senders"]

log = structlog.get_logger(__name__)

DELIVERED = MetricCounter("sysaccess_notifications_delivered_total", "Deliveries that succeeded", ["kind"])
FAILED = MetricCounter(
    "sysaccess_notification_attempts_failed_total", "Delivery attempts that failed", ["kind"]
)
DEAD = MetricCounter("sysaccess_notifications_dead_lettered_total", "Deliveries given up", ["kind"])
POSTPONED = MetricCounter(
    "sysaccess_notification_attempts_postponed_total", "Jobs postponed because their lane was full", ["kind"]
)
IN_FLIGHT = Gauge("sysaccess_notification_attempts_in_flight", "Delivery attempts under way", ["kind"])
# One count per attempt, by how it ended: "success", else why it failed (DeliveryFailed.outcome).
WEBHOOK_DELIVERIES = MetricCounter(
    "sysaccess_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
)
EMAIL_DELIVERIES = MetricCounter(
    "sysaccess_email_deliveries_total", "E-mail delivery attempts by outcome", ["outcome"]
)
ATTEMPTS_BY_CHANNEL = {"webhook": WEBHOOK_DELIVERIES, "email": EMAIL_DELIVERIES}


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
    """One step of delivery: start an attempt for each due job its lane admits; never waits for one."""

    def __init__(
        self,
        queue: DeliveryQueue,
        senders: Senders,
        dead_letters: DeadLetters,
        policy: RetryPolicy,
        *,
        lease_seconds: float,
        limits: ConcurrencyLimits | None = None,
        busy_delay_seconds: float = 0.5,
        attempt_share: float = 0.8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._senders = senders
        self._dead_letters = dead_letters
        self._policy = policy
        self._lease_seconds = lease_seconds
        self._limits = limits or ConcurrencyLimits()
        self._busy_delay_seconds = busy_delay_seconds
        self._attempt_deadline = lease_seconds * attempt_share
        self._clock = clock
        self._lanes: Counter[Lane] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def __call__(self) -> int:
        """Claim due jobs and start those their lanes admit, postponing the others; returns how
        many it claimed (0: nothing due, or no free slot).

        It claims a full batch even when fewer slots are free, so that jobs of a busy host,
        postponed, never stand in front of others for long: the loop steps again at once
        while it claims anything.
        """
        if self.in_flight >= self._limits.overall:
            return 0
        now = self._clock()
        claimed = await self._queue.claim(now, self._lease_seconds, self._limits.overall)
        for each in claimed:
            lane = lane_of(each.job)
            if self._limits.admits(lane, self._lanes):
                self._start(lane, each)
            else:
                await self._queue.postpone(each.job.id, now + self._busy_delay_seconds)
                POSTPONED.labels(each.job.channel).inc()
        return len(claimed)

    async def wait_for_slot(self, timeout: float) -> None:
        """Return when an attempt ends, or after ``timeout`` seconds.

        ``asyncio.wait`` rather than ``asyncio.timeout``: a timeout cancels the waiting task and
        takes the cancellation back, and a stop requested in the same moment must never be
        taken for it."""
        self._slot_freed.clear()
        freed = asyncio.ensure_future(self._slot_freed.wait())
        try:
            await asyncio.wait({freed}, timeout=timeout)
        finally:
            freed.cancel()

    async def drain(self) -> None:
        """Wait until every attempt under way has ended (tests; a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def cancel(self) -> None:
        """Stop the attempts under way; their jobs stay leased and are attempted again later."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, lane: Lane, claimed: ClaimedJob) -> None:
        self._lanes[lane] += 1
        IN_FLIGHT.labels(lane.channel).inc()
        task = asyncio.create_task(self._attempt(claimed), name=f"deliver-{claimed.job.id}")
        self._tasks.add(task)
        task.add_done_callback(partial(self._finished, lane))

    def _finished(self, lane: Lane, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._lanes[lane] -= 1
        if self._lanes[lane] <= 0:
            del self._lanes[lane]
        IN_FLIGHT.labels(lane.channel).dec()
        self._slot_freed.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            # Redis or Kafka failed while the outcome was recorded: the lease runs out and the
            # job is attempted again.
            log.warning("delivery.attempt.error", task=task.get_name(), error=repr(error))

    async def _attempt(self, claimed: ClaimedJob) -> None:
        job = claimed.job
        # Each attempt continues the trace of the event that planned the job. The trace stays
        # inside: nothing of it is sent to the vendor or the SMTP relay.
        with tracing.span(
            f"{job.channel} deliver",
            parent=claimed.trace or None,
            kind=SpanKind.CLIENT,
            attributes={
                "sysaccess.delivery.id": job.delivery_id,
                "sysaccess.delivery.channel": job.channel,
                "sysaccess.delivery.attempt": claimed.failed_attempts + 1,
            },
        ) as span:
            try:
                async with asyncio.timeout(self._attempt_deadline):
                    await self._senders.send(job)
            except TimeoutError:
                failure = DeliveryFailed(f"no outcome within {self._attempt_deadline:g}s", outcome="timeout")
            except DeliveryFailed as exc:
                failure = exc
            else:
                span.set_attribute("sysaccess.delivery.outcome", "success")
                ATTEMPTS_BY_CHANNEL[job.channel].labels("success").inc()
                await self._queue.delivered(job.id)
                DELIVERED.labels(job.channel).inc()
                return
            span.set_attribute("sysaccess.delivery.outcome", failure.outcome)
            span.set_status(Status(StatusCode.ERROR, str(failure)[:200]))
            ATTEMPTS_BY_CHANNEL[job.channel].labels(failure.outcome).inc()
            FAILED.labels(job.channel).inc()
            await self._after_failure(claimed, failure)

    async def _after_failure(self, claimed: ClaimedJob, failure: DeliveryFailed) -> None:
        job, error = claimed.job, str(failure)
        match after_failure(
            self._policy, claimed.failed_attempts, self._clock(), permanent=failure.permanent
        ):
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
    """Runs delivery steps until cancelled; when a step starts nothing, waits for a free slot or
    ``idle_seconds``. On cancellation it stops the attempts under way."""

    def __init__(
        self,
        step: Callable[[], Awaitable[int]],
        idle_seconds: float = 0.1,
        *,
        wait: Callable[[float], Awaitable[None]] | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._step = step
        self._idle_seconds = idle_seconds
        self._wait = wait or asyncio.sleep
        self._on_stop = on_stop

    @classmethod
    def of(cls, deliver: DeliverDueJobs, idle_seconds: float = 0.1) -> DeliveryLoop:
        return cls(deliver, idle_seconds, wait=deliver.wait_for_slot, on_stop=deliver.cancel)

    async def run(self) -> None:
        try:
            while True:
                if not await self._step_safely():
                    await self._wait(self._idle_seconds)
        finally:
            if self._on_stop is not None:
                await self._on_stop()

    async def _step_safely(self) -> int:
        # An outage (Redis, Kafka) must not end the loop: log it, pause, and try again.
        try:
            return await self._step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("delivery.loop.error", error=repr(exc))
            return 0

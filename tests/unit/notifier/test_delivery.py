"""DeliverDueJobs and DeliveryLoop: sending, retries with back-off, dead letters; in memory."""

from __future__ import annotations

import asyncio

import pytest

from services.notifier.domain.deliveries import Email, Webhook
from services.notifier.domain.retries import RetryPolicy
from services.notifier.services.delivery import DeliverDueJobs, DeliveryLoop, Senders

from .fakes import (
    FakeClock,
    InMemoryDeliveryQueue,
    RecordingDeadLetters,
    RecordingSender,
    email_job,
    webhook_job,
)

pytestmark = pytest.mark.unit

POLICY = RetryPolicy(max_attempts=4, first_delay=1.0, max_delay=300.0)
LEASE = 30.0


class Harness:
    def __init__(self, failing: str | None = None) -> None:
        self.queue = InMemoryDeliveryQueue()
        self.email = RecordingSender[Email](failing)
        self.webhook = RecordingSender[Webhook](failing)
        self.dead_letters = RecordingDeadLetters()
        self.clock = FakeClock(1_000.0)
        self.step = DeliverDueJobs(
            self.queue,
            Senders(email=self.email, webhook=self.webhook),
            self.dead_letters,
            POLICY,
            lease_seconds=LEASE,
            clock=self.clock,
        )


class TestDeliverDueJobs:
    async def test_sends_each_job_over_its_channel_and_records_it_delivered(self) -> None:
        h = Harness()
        mail, hook = email_job(), webhook_job()
        h.queue.add(mail)
        h.queue.add(hook)
        assert await h.step() == 2
        assert h.email.sent == [(mail.delivery_id, mail.message)]
        assert h.webhook.sent == [(hook.delivery_id, hook.message)]
        assert h.queue.outcomes == {mail.id: "delivered", hook.id: "delivered"}

    async def test_leaves_jobs_that_are_not_due(self) -> None:
        h = Harness()
        h.queue.add(email_job(), due=h.clock.now + 5)
        assert await h.step() == 0
        assert h.email.sent == []

    async def test_claims_at_most_one_batch(self) -> None:
        h = Harness()
        for n in range(20):
            h.queue.add(email_job(f"job-{n}"))
        assert await h.step() == 16
        assert await h.step() == 4

    async def test_a_failed_attempt_is_retried_after_the_first_delay(self) -> None:
        h = Harness(failing="HTTP status 500")
        h.queue.add(webhook_job())
        await h.step()
        queued = h.queue.queued["job-hook"]
        assert (queued.failed, queued.due) == (1, h.clock.now + 1.0)
        assert h.dead_letters.published == []

    async def test_each_retry_waits_twice_as_long(self) -> None:
        h = Harness(failing="HTTP status 500")
        h.queue.add(webhook_job(), failed=2)
        await h.step()
        assert h.queue.queued["job-hook"].due == h.clock.now + 4.0

    async def test_the_last_failed_attempt_becomes_a_dead_letter(self) -> None:
        h = Harness(failing="SMTP: refused")
        job = email_job()
        h.queue.add(job, failed=POLICY.max_attempts - 1)
        await h.step()
        assert h.dead_letters.published == [(job, POLICY.max_attempts, "SMTP: refused")]
        assert h.queue.outcomes == {job.id: "dead-letter"}


class TestDeliveryLoop:
    async def test_keeps_stepping_after_an_error_until_cancelled(self) -> None:
        results: list[int | Exception] = [RuntimeError("redis down"), 1, 0]
        stepped = asyncio.Event()

        async def step() -> int:
            if not results:
                stepped.set()
                return 0
            result = results.pop(0)
            if isinstance(result, Exception):
                raise result
            return result

        task = asyncio.create_task(DeliveryLoop(step, idle_seconds=0.001).run())
        await asyncio.wait_for(stepped.wait(), timeout=2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert results == []

"""DeliverDueJobs and DeliveryLoop: independent attempts in lanes, retries with back-off, dead
letters; in memory."""

from __future__ import annotations

import asyncio

import pytest

from services.notifier.domain.concurrency import ConcurrencyLimits
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
LIMITS = ConcurrencyLimits(overall=16, per_host=4)
BUSY_DELAY = 0.5


class Harness:
    def __init__(self, failing: str | None = None, *, permanent: bool = False, lease: float = LEASE) -> None:
        self.queue = InMemoryDeliveryQueue()
        self.email = RecordingSender[Email](failing, permanent=permanent)
        self.webhook = RecordingSender[Webhook](failing, permanent=permanent)
        self.dead_letters = RecordingDeadLetters()
        self.clock = FakeClock(1_000.0)
        self.step = DeliverDueJobs(
            self.queue,
            Senders(email=self.email, webhook=self.webhook),
            self.dead_letters,
            POLICY,
            lease_seconds=lease,
            limits=LIMITS,
            busy_delay_seconds=BUSY_DELAY,
            clock=self.clock,
        )

    async def run_once(self) -> None:
        """Steps until nothing more is claimed (as the loop does), then waits for every attempt
        that is not stalled to end."""
        while await self.step():
            pass
        for _ in range(50):
            await asyncio.sleep(0.001)
            if self.step.in_flight == self.email.running + self.webhook.running:
                break

    async def finish(self) -> None:
        self.email.release.set()
        self.webhook.release.set()
        await self.step.drain()


def hook_to(host: str, n: int) -> list[object]:
    return [webhook_job(f"{host}-{i}", url=f"https://{host}/in") for i in range(n)]


class TestDeliverDueJobs:
    async def test_sends_each_job_over_its_channel_and_records_it_delivered(self) -> None:
        h = Harness()
        mail, hook = email_job(), webhook_job()
        h.queue.add(mail)
        h.queue.add(hook)
        await h.run_once()
        await h.finish()
        assert h.email.sent == [(mail.delivery_id, mail.message)]
        assert h.webhook.sent == [(hook.delivery_id, hook.message)]
        assert h.queue.outcomes == {mail.id: "delivered", hook.id: "delivered"}

    async def test_leaves_jobs_that_are_not_due(self) -> None:
        h = Harness()
        h.queue.add(email_job(), due=h.clock.now + 5)
        assert await h.step() == 0
        assert h.email.sent == []

    async def test_one_host_gets_its_share_and_the_rest_is_postponed_without_an_attempt(self) -> None:
        h = Harness()
        h.webhook.stall.add("slow.example")
        for job in hook_to("slow.example", 10):
            h.queue.add(job)  # type: ignore[arg-type]
        await h.run_once()
        assert h.step.in_flight == h.webhook.running == LIMITS.per_host
        waiting = [q for q in h.queue.queued.values() if q.due == h.clock.now + BUSY_DELAY]
        assert len(waiting) == 10 - LIMITS.per_host
        assert all(q.failed == 0 for q in waiting)
        await h.finish()

    async def test_never_more_than_the_overall_limit_and_email_keeps_its_room(self) -> None:
        h = Harness()
        h.webhook.stall.add(".example")
        for n in range(8):
            for job in hook_to(f"host{n}.example", 4):
                h.queue.add(job)  # type: ignore[arg-type]
        await h.run_once()
        assert h.webhook.running == LIMITS.webhooks == LIMITS.overall - LIMITS.per_host
        mail = email_job()
        h.queue.add(mail)
        await h.run_once()
        assert h.queue.outcomes == {mail.id: "delivered"}, "e-mail waited for webhooks"
        assert h.step.in_flight <= LIMITS.overall
        await h.finish()

    async def test_a_stalled_receiver_holds_up_neither_other_hosts_nor_email(self) -> None:
        h = Harness()
        h.webhook.stall.add("slow.example")
        for job in hook_to("slow.example", 4):
            h.queue.add(job)  # type: ignore[arg-type]
        await h.run_once()
        fast, mail = webhook_job("fast", url="https://fast.example/in"), email_job()
        h.queue.add(fast)
        h.queue.add(mail)
        await h.run_once()
        assert h.queue.outcomes == {"fast": "delivered", mail.id: "delivered"}
        assert h.webhook.running == LIMITS.per_host  # the slow ones are still under way
        await h.finish()

    async def test_an_attempt_past_its_deadline_fails_and_is_retried(self) -> None:
        h = Harness(lease=0.05)  # the attempt's deadline is a share of its lease
        h.webhook.stall.add("smartcloud.example")
        h.queue.add(webhook_job())
        await h.step()
        await asyncio.wait_for(h.step.drain(), timeout=2)
        queued = h.queue.queued["job-hook"]
        assert (queued.failed, queued.due) == (1, h.clock.now + 1.0)

    async def test_a_failed_attempt_is_retried_after_the_first_delay(self) -> None:
        h = Harness(failing="HTTP status 500")
        h.queue.add(webhook_job())
        await h.step()
        await h.step.drain()
        queued = h.queue.queued["job-hook"]
        assert (queued.failed, queued.due) == (1, h.clock.now + 1.0)
        assert h.dead_letters.published == []

    async def test_each_retry_waits_twice_as_long(self) -> None:
        h = Harness(failing="HTTP status 500")
        h.queue.add(webhook_job(), failed=2)
        await h.step()
        await h.step.drain()
        assert h.queue.queued["job-hook"].due == h.clock.now + 4.0

    async def test_the_last_failed_attempt_becomes_a_dead_letter(self) -> None:
        h = Harness(failing="SMTP: refused")
        job = email_job()
        h.queue.add(job, failed=POLICY.max_attempts - 1)
        await h.step()
        await h.step.drain()
        assert h.dead_letters.published == [(job, POLICY.max_attempts, "SMTP: refused")]
        assert h.queue.outcomes == {job.id: "dead-letter"}

    async def test_a_permanent_failure_is_a_dead_letter_at_once(self) -> None:
        h = Harness(failing="refused webhook target: loopback", permanent=True)
        job = webhook_job()
        h.queue.add(job)
        await h.step()
        await h.step.drain()
        assert h.dead_letters.published == [(job, 1, "refused webhook target: loopback")]

    async def test_cancel_stops_the_attempts_and_leaves_their_jobs_leased(self) -> None:
        h = Harness()
        h.webhook.stall.add("smartcloud.example")
        h.queue.add(webhook_job())
        await h.run_once()
        await h.step.cancel()
        assert h.step.in_flight == 0
        assert h.queue.queued["job-hook"].due == h.clock.now + LEASE
        assert h.queue.outcomes == {}


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

    async def test_a_stop_while_waiting_for_a_slot_is_never_taken_for_the_wait_ending(self) -> None:
        h = Harness()
        waiting = asyncio.create_task(h.step.wait_for_slot(0.01))
        await asyncio.sleep(0.0099)  # the stop and the end of the wait as close as they get
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    async def test_stopping_the_loop_stops_the_attempts_under_way(self) -> None:
        h = Harness()
        h.webhook.stall.add("smartcloud.example")
        h.queue.add(webhook_job())
        task = asyncio.create_task(DeliveryLoop.of(h.step, idle_seconds=0.001).run())
        for _ in range(100):
            if h.webhook.running:
                break
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert h.step.in_flight == 0

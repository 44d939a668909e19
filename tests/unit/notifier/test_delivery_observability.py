"""Deliveries by outcome (one count per attempt), the reason a webhook attempt failed, and the
trace a delivery continues (the one of the event that planned it, stored with the job)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY

from services.notifier.domain.deliveries import ClaimedJob, DeliveryFailed, Email, Webhook
from services.notifier.domain.retries import RetryPolicy
from services.notifier.services.delivery import DeliverDueJobs, Senders
from services.notifier.storage.job_records import claimed_job_from_hash, job_hash
from services.notifier.storage.webhooks import HttpWebhookSender
from shared import tracing
from tests.support.tracing import span_exporter

from .fakes import (
    SYSTEM_ID,
    FakeClock,
    InMemoryDeliveryQueue,
    RecordingDeadLetters,
    RecordingSender,
    email_job,
    webhook_job,
)

pytestmark = pytest.mark.unit


def count(name: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0


class TracedQueue(InMemoryDeliveryQueue):
    """Hands out each job with the trace context it was planned in."""

    traces: dict[str, dict[str, str]]

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[ClaimedJob]:
        claimed = await super().claim(now, lease_seconds, limit)
        return [ClaimedJob(c.job, c.failed_attempts, self.traces.get(c.job.id, {})) for c in claimed]


class OutcomeSender(RecordingSender[Webhook]):
    """Fails with the given outcome while ``outcome`` is set."""

    def __init__(self, outcome: str | None) -> None:
        super().__init__()
        self.outcome = outcome

    async def send(self, delivery_id: str, message: Webhook) -> None:
        await super().send(delivery_id, message)
        if self.outcome is not None:
            raise DeliveryFailed(f"failed: {self.outcome}", outcome=self.outcome)


async def deliver(
    queue: InMemoryDeliveryQueue, webhook: RecordingSender[Webhook], email: RecordingSender[Email]
) -> None:
    step = DeliverDueJobs(
        queue,
        Senders(email=email, webhook=webhook),
        RecordingDeadLetters(),
        RetryPolicy(max_attempts=3, first_delay=1.0, max_delay=10.0),
        lease_seconds=30.0,
        clock=FakeClock(1_000.0),
    )
    await step()
    await step.drain()


async def test_each_attempt_is_counted_once_by_outcome() -> None:
    success = count("sysaccess_webhook_deliveries_total", "success")
    failed = count("sysaccess_webhook_deliveries_total", "http_5xx")
    mails = count("sysaccess_email_deliveries_total", "success")

    queue = InMemoryDeliveryQueue()
    queue.add(webhook_job("hook-ok"))
    queue.add(email_job("mail-ok"))
    await deliver(queue, OutcomeSender(None), RecordingSender[Email]())
    queue = InMemoryDeliveryQueue()
    queue.add(webhook_job("hook-bad"))
    await deliver(queue, OutcomeSender("http_5xx"), RecordingSender[Email]())

    assert count("sysaccess_webhook_deliveries_total", "success") == success + 1
    assert count("sysaccess_webhook_deliveries_total", "http_5xx") == failed + 1
    assert count("sysaccess_email_deliveries_total", "success") == mails + 1


async def test_a_delivery_continues_the_trace_the_job_was_planned_in() -> None:
    exporter = span_exporter()
    with tracing.span("SystemAccessCreated process") as planning:
        planned_in = tracing.carrier_json()
    written = {str(k): str(v) for k, v in job_hash(webhook_job("hook-traced"), planned_in).items()}
    claimed = claimed_job_from_hash("hook-traced", written)
    assert claimed.trace == tracing.carrier_from_json(planned_in)

    exporter.clear()
    queue = TracedQueue()
    queue.traces = {"hook-traced": dict(claimed.trace)}
    queue.add(claimed.job)
    await deliver(queue, OutcomeSender(None), RecordingSender[Email]())

    (attempt,) = [s for s in exporter.get_finished_spans() if s.name == "webhook deliver"]
    assert attempt.context.trace_id == planning.get_span_context().trace_id
    assert attempt.parent is not None
    assert attempt.parent.span_id == planning.get_span_context().span_id
    assert attempt.attributes is not None
    assert attempt.attributes["sysaccess.delivery.outcome"] == "success"


def test_a_job_written_outside_a_trace_reads_back_without_one() -> None:
    written = {str(k): str(v) for k, v in job_hash(webhook_job()).items()}
    assert "trace" not in written
    assert claimed_job_from_hash("job-hook", written).trace == {}


def webhook_sender(transport: httpx.MockTransport) -> HttpWebhookSender:
    async def secrets(system_id: str) -> list[str]:
        return ["whsec_" + "A" * 43 + "="]

    return HttpWebhookSender(httpx.AsyncClient(transport=transport), secrets, deadline_seconds=1.0)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [(503, "http_5xx"), (404, "http_4xx"), (302, "http_3xx")],
)
async def test_a_webhook_attempt_names_how_it_failed(answer: int, outcome: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(answer))
    with pytest.raises(DeliveryFailed) as failed:
        await webhook_sender(transport).send("d", Webhook("https://hooks.example/in", SYSTEM_ID, "X", "{}"))
    assert failed.value.outcome == outcome


async def test_an_unreachable_or_refused_receiver_is_named_so() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(DeliveryFailed) as failed:
        await webhook_sender(httpx.MockTransport(unreachable)).send(
            "d", Webhook("https://hooks.example/in", SYSTEM_ID, "X", "{}")
        )
    assert failed.value.outcome == "unreachable"
    with pytest.raises(DeliveryFailed) as refused:
        await webhook_sender(httpx.MockTransport(unreachable)).send(
            "d", Webhook("https://127.0.0.1/in", SYSTEM_ID, "X", "{}")
        )
    assert refused.value.outcome == "refused"

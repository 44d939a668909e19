"""Adapters that need no server: the job record codec and the webhook sender over a mock transport."""

from __future__ import annotations

import httpx
import pytest

from services.notifier.domain.deliveries import DeliveryFailed, DeliveryJob, Webhook
from services.notifier.storage.job_records import claimed_job_from_hash, job_hash
from services.notifier.storage.webhooks import HttpWebhookSender
from shared.webhooks import derive_secret, verify

from .fakes import SYSTEM_ID, email_job, webhook_job

pytestmark = pytest.mark.unit

MASTER_KEY = "test-master-key"


@pytest.mark.parametrize("job", [email_job(), webhook_job()], ids=["email", "webhook"])
def test_a_job_reads_back_as_written(job: DeliveryJob) -> None:
    # Redis hands hash fields back as strings.
    written = {str(k): str(v) for k, v in job_hash(job).items()}
    claimed = claimed_job_from_hash(job.id, written)
    assert (claimed.job, claimed.failed_attempts) == (job, 0)


def sender(transport: httpx.MockTransport) -> HttpWebhookSender:
    return HttpWebhookSender(httpx.AsyncClient(transport=transport), master_key=MASTER_KEY, timeout_seconds=1)


async def test_a_webhook_is_signed_with_the_systems_secret() -> None:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = httpx.MockTransport(receiver)
    message = Webhook("https://hooks.example/in", SYSTEM_ID, "SystemAccessCreated", '{"a":1}')
    await sender(transport).send("delivery-1", message)
    (request,) = seen
    assert request.content == b'{"a":1}'
    assert request.headers["X-Sysaccess-Delivery"] == "delivery-1"
    assert request.headers["X-Sysaccess-Event"] == "SystemAccessCreated"
    secret = derive_secret(MASTER_KEY, SYSTEM_ID)
    assert verify(secret, request.content, request.headers["X-Sysaccess-Signature"])


async def test_a_refusing_receiver_fails_the_attempt() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    with pytest.raises(DeliveryFailed, match="HTTP status 500"):
        await sender(transport).send("d", Webhook("https://hooks.example/in", SYSTEM_ID, "X", "{}"))

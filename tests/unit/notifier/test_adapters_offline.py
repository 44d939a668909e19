"""Adapters that need no server: the job record codec, the webhook sender over a mock transport
(Standard Webhooks signatures, one deadline per attempt, a capped read), and the signing secrets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from services.notifier.domain.deliveries import DeliveryFailed, DeliveryJob, Webhook
from services.notifier.services.signing import WebhookSigningSecrets
from services.notifier.storage.job_records import claimed_job_from_hash, job_hash
from services.notifier.storage.webhooks import MAX_RESPONSE_BYTES, HttpWebhookSender
from shared.sealing import SecretBox
from shared.webhooks import new_secret, sealing_context

from .fakes import SYSTEM_ID, InMemoryWebhookSecrets, email_job, secrets_changed, webhook_job

pytestmark = pytest.mark.unit

SECRET = new_secret()
URL = "https://hooks.example/in"
BODY = '{"deliveryId":"delivery-1","eventType":"SystemAccessCreated","data":{"a":1}}'


@pytest.mark.parametrize("job", [email_job(), webhook_job()], ids=["email", "webhook"])
def test_a_job_reads_back_as_written(job: DeliveryJob) -> None:
    # Redis hands hash fields back as strings.
    written = {str(k): str(v) for k, v in job_hash(job).items()}
    claimed = claimed_job_from_hash(job.id, written)
    assert (claimed.job, claimed.failed_attempts) == (job, 0)


def sender(
    handler: httpx.MockTransport, *secrets: str, deadline: float = 1.0, allow_loopback: bool = False
) -> HttpWebhookSender:
    async def signing_secrets(system_id: str) -> list[str]:
        assert system_id == SYSTEM_ID
        return list(secrets or (SECRET,))

    return HttpWebhookSender(
        httpx.AsyncClient(transport=handler),
        signing_secrets,
        deadline_seconds=deadline,
        allow_loopback_http=allow_loopback,
    )


def recording() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    return httpx.MockTransport(receiver), seen


async def test_a_webhook_verifies_with_the_stock_standard_webhooks_verifier() -> None:
    transport, seen = recording()
    await sender(transport).send("delivery-1", Webhook(URL, SYSTEM_ID, "SystemAccessCreated", BODY))
    (request,) = seen
    assert request.content == BODY.encode()
    assert request.headers["webhook-id"] == "delivery-1"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert StandardWebhook(SECRET).verify(request.content, dict(request.headers)) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(new_secret()).verify(request.content, dict(request.headers))


async def test_during_a_rotation_both_secrets_sign() -> None:
    transport, seen = recording()
    new, old = new_secret(), new_secret()
    await sender(transport, new, old).send("d", Webhook(URL, SYSTEM_ID, "X", BODY))
    (request,) = seen
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        StandardWebhook(secret).verify(request.content, dict(request.headers))


async def test_a_refusing_receiver_fails_the_attempt() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    with pytest.raises(DeliveryFailed, match="HTTP status 500") as failed:
        await sender(transport).send("d", Webhook(URL, SYSTEM_ID, "X", "{}"))
    assert not failed.value.permanent


class Trickle(httpx.AsyncByteStream):
    """An answer body that comes one byte at a time, slowly."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(100):
            await asyncio.sleep(0.05)
            yield b"x"


class Endless(httpx.AsyncByteStream):
    """An answer body without end, 64 KiB at a time; counts how much was taken."""

    def __init__(self) -> None:
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.taken += 64 * 1024
            yield b"x" * (64 * 1024)


async def test_one_deadline_covers_the_whole_attempt_however_the_answer_trickles() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=Trickle()))
    started = asyncio.get_running_loop().time()
    with pytest.raises(DeliveryFailed, match="deadline"):
        await sender(transport, deadline=0.3).send("d", Webhook(URL, SYSTEM_ID, "X", "{}"))
    assert asyncio.get_running_loop().time() - started < 0.6


async def test_a_huge_answer_is_read_only_up_to_the_cap() -> None:
    body = Endless()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=body))
    await sender(transport).send("d", Webhook(URL, SYSTEM_ID, "X", "{}"))
    assert body.taken <= MAX_RESPONSE_BYTES + 64 * 1024


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example/in", "https://127.0.0.1/in", "https://redis/in", "https://0x7f000001/in"],
)
async def test_a_refused_url_is_never_requested_and_fails_for_good(url: str) -> None:
    transport, seen = recording()
    with pytest.raises(DeliveryFailed) as failed:
        await sender(transport).send("d", Webhook(url, SYSTEM_ID, "X", "{}"))
    assert failed.value.permanent
    assert seen == []


async def test_loopback_http_only_when_allowed() -> None:
    transport, seen = recording()
    await sender(transport, allow_loopback=True).send(
        "d", Webhook("http://127.0.0.1:9/in", SYSTEM_ID, "X", "{}")
    )
    assert len(seen) == 1
    with pytest.raises(DeliveryFailed):
        await sender(transport, allow_loopback=True).send(
            "d", Webhook("http://hooks.example/in", SYSTEM_ID, "X", "{}")
        )


class TestSigningSecrets:
    NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)
    BOX = SecretBox(["unit-test-sealing-key-0123456789abcdef"])

    def sealed(self, secret: str) -> str:
        return self.BOX.seal(secret, sealing_context(SYSTEM_ID))

    async def test_the_current_secret_and_those_in_grace_sign(self) -> None:
        store = InMemoryWebhookSecrets()
        current, old, expired = new_secret(), new_secret(), new_secret()
        await store.save(
            secrets_changed(
                3,
                self.sealed(current),
                (self.sealed(old), self.NOW + timedelta(hours=1)),
                (self.sealed(expired), self.NOW),
            )
        )
        signing = WebhookSigningSecrets(store, self.BOX, clock=lambda: self.NOW)
        assert await signing.for_system(SYSTEM_ID) == [current, old]

    async def test_no_secret_yet_fails_the_attempt(self) -> None:
        signing = WebhookSigningSecrets(InMemoryWebhookSecrets(), self.BOX, clock=lambda: self.NOW)
        with pytest.raises(DeliveryFailed, match="no signing secret"):
            await signing.for_system(SYSTEM_ID)

    async def test_a_secret_sealed_for_another_system_does_not_open(self) -> None:
        store = InMemoryWebhookSecrets()
        await store.save(secrets_changed(1, self.BOX.seal(new_secret(), sealing_context("314000110_other"))))
        signing = WebhookSigningSecrets(store, self.BOX, clock=lambda: self.NOW)
        with pytest.raises(DeliveryFailed, match="does not open"):
            await signing.for_system(SYSTEM_ID)

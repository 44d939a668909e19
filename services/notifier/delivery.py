"""Sending: e-mail over SMTP and signed webhooks over HTTP, with retries and dead letters."""

from __future__ import annotations

import asyncio
import json
import time
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
import structlog
from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from shared.topics import NOTIFICATIONS_DEAD_LETTER
from shared.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, derive_secret, sign

from .plans import Job
from .settings import NotifierSettings
from .store import NotifierStore, job_from

log = structlog.get_logger(__name__)

DELIVERED = Counter("sysaccess_notifications_delivered_total", "Deliveries that succeeded", ["kind"])
FAILED = Counter("sysaccess_notification_attempts_failed_total", "Delivery attempts that failed", ["kind"])
DEAD = Counter("sysaccess_notifications_dead_lettered_total", "Deliveries given up", ["kind"])


class DeliveryError(Exception):
    pass


class Senders:
    def __init__(self, settings: NotifierSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    async def send(self, job: Job) -> None:
        if job.kind == "email":
            await self.email(job)
        else:
            await self.webhook(job)

    async def email(self, job: Job) -> None:
        message = EmailMessage()
        message["From"] = self.settings.smtp_sender
        message["To"] = job.payload["to"]
        message["Subject"] = job.payload["subject"]
        message["Message-ID"] = job.delivery_id
        message.set_content(job.payload["body"])
        try:
            await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                timeout=self.settings.smtp_timeout_seconds,
                start_tls=False,
                use_tls=False,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc!r}") from exc

    async def webhook(self, job: Job) -> None:
        body = job.payload["body"].encode()
        secret = derive_secret(self.settings.webhook_master_key.get_secret_value(), job.payload["systemId"])
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: job.delivery_id,
            EVENT_HEADER: job.payload["eventType"],
            SIGNATURE_HEADER: sign(secret, body),
            "User-Agent": "sysaccess-webhooks/1",
        }
        try:
            response = await self.http.post(
                job.payload["url"],
                content=body,
                headers=headers,
                timeout=self.settings.webhook_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"HTTP: {exc!r}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"HTTP status {response.status_code}")


def retry_delay(settings: NotifierSettings, attempts: int) -> float:
    return float(min(settings.first_retry_seconds * 2 ** max(attempts - 1, 0), settings.max_retry_seconds))


class DeliveryLoop:
    def __init__(
        self, store: NotifierStore, senders: Senders, broker: KafkaBroker, settings: NotifierSettings
    ) -> None:
        self.store = store
        self.senders = senders
        self.broker = broker
        self.settings = settings
        self.concurrency = 16

    async def run(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery.loop.error", error=repr(exc))
                worked = 0
            if not worked:
                await asyncio.sleep(0.1)

    async def run_once(self) -> int:
        claimed = await self.store.claim(time.time(), self.settings.lease_seconds, self.concurrency)
        await asyncio.gather(*(self._attempt(job_id, data) for job_id, data in claimed))
        return len(claimed)

    async def _attempt(self, job_id: str, data: dict[str, str]) -> None:
        job, attempts = job_from(job_id, data)
        try:
            await self.senders.send(job)
        except DeliveryError as exc:
            FAILED.labels(job.kind).inc()
            attempts += 1
            if attempts >= self.settings.max_attempts:
                await self._dead_letter(job, attempts, str(exc))
                return
            retry_at = time.time() + retry_delay(self.settings, attempts)
            await self.store.failed(job_id, retry_at)
            log.info("delivery.retry", job=job_id, kind=job.kind, attempts=attempts, error=str(exc))
            return
        await self.store.succeeded(job_id)
        DELIVERED.labels(job.kind).inc()

    async def _dead_letter(self, job: Job, attempts: int, error: str) -> None:
        record: dict[str, Any] = {
            "jobId": job.id,
            "kind": job.kind,
            "deliveryId": job.delivery_id,
            "attempts": attempts,
            "error": error,
            "payload": job.payload,
        }
        await self.broker.publish(
            json.dumps(record).encode(),
            topic=NOTIFICATIONS_DEAD_LETTER,
            key=job.id.encode(),
            headers={"dlq-reason": "exhausted", "dlq-error": error[:500]},
        )
        await self.store.give_up(job.id)
        DEAD.labels(job.kind).inc()
        log.error("delivery.dead_letter", job=job.id, kind=job.kind, attempts=attempts, error=error)

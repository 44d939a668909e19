"""In-memory fakes of the notifier's ports, and memorable test data; no Redis, Kafka or network."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar
from uuid import UUID

from services.notifier.domain.deliveries import ClaimedJob, DeliveryFailed, DeliveryJob, Email, Webhook
from services.notifier.domain.plans import NotificationPlan
from services.notifier.domain.portal_notifications import PortalNotification
from services.notifier.domain.signing import supersedes
from shared import events as ev
from shared.world import Organisation, Person, World

KARI = Person(pid="12887010186", name="Kari Nordmann", email="kari@tiger.example")
OLA = Person(pid="03897610069", name="Ola Nordmann", email="ola@tiger.example")
FORWARDER = Person(pid="21927110056", name="Per Videresender", email="per@tiger.example")
SMARTCLOUD = Organisation(org_no="314000110", name="SmartCloud AS")
TIGER = Organisation(org_no="310614289", name="Tiger AS")
WORLD = World(organisations=(SMARTCLOUD, TIGER), people=(KARI, OLA, FORWARDER))
SYSTEM_ID = "314000110_smartcloud"
HOOK_URL = "https://smartcloud.example/hooks"
PORTAL = "https://portal.example"


def system(webhook_url: str | None = HOOK_URL) -> ev.SystemDescription:
    return ev.SystemDescription(
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD.org_no,
        name={"nb": "Skyregnskap"},
        webhook_url=webhook_url,
    )


def secrets_changed(
    generation: int, current: str, *retired: tuple[str, datetime]
) -> ev.WebhookSecretsChanged:
    return ev.WebhookSecretsChanged(
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD.org_no,
        generation=generation,
        secrets=(
            ev.SealedWebhookSecret(sealed=current),
            *(ev.SealedWebhookSecret(sealed=sealed, not_after=until) for sealed, until in retired),
        ),
    )


def escalated(*managers: str) -> ev.RequestEscalated:
    return ev.RequestEscalated(
        request_id=uuid.uuid4(),
        request_type=ev.RequestType.STANDARD,
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD.org_no,
        party_org_no=TIGER.org_no,
        escalated_by=FORWARDER.pid,
        escalated_at=datetime(2026, 11, 29, 10, tzinfo=UTC),
        access_managers=managers,
    )


def access_created() -> ev.SystemAccessCreated:
    request_id = uuid.uuid4()
    return ev.SystemAccessCreated(
        system_access_id=request_id,
        request_id=request_id,
        request_type=ev.RequestType.STANDARD,
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD.org_no,
        party_org_no=TIGER.org_no,
        external_ref="ref-1",
        integration_title="SmartCloud",
        approved_by=KARI.pid,
        approved_at=datetime(2026, 11, 29, 10, tzinfo=UTC),
    )


def email_job(job_id: str = "job-mail") -> DeliveryJob:
    return DeliveryJob(job_id, f"<{job_id}@sysaccess>", Email(KARI.email, "Hei", "Tekst"))


def webhook_job(job_id: str = "job-hook", url: str = HOOK_URL) -> DeliveryJob:
    return DeliveryJob(job_id, "delivery-1", Webhook(url, SYSTEM_ID, "SystemAccessCreated", "{}"))


class InMemorySchedule:
    """NotificationSchedule: remembers each event's plan once."""

    def __init__(self) -> None:
        self.plans: dict[UUID, NotificationPlan] = {}
        self.times: dict[UUID, float] = {}

    async def schedule(self, event_id: UUID, plan: NotificationPlan, now: float) -> bool:
        if event_id in self.plans:
            return False
        self.plans[event_id] = plan
        self.times[event_id] = now
        return True


class InMemorySystemCatalog:
    """SystemCatalog over a dict."""

    def __init__(self, *systems: ev.SystemDescription) -> None:
        self.systems = {s.system_id: s for s in systems}

    async def get(self, system_id: str) -> ev.SystemDescription | None:
        return self.systems.get(system_id)

    async def save(self, system: ev.SystemDescription) -> None:
        self.systems[system.system_id] = system

    async def remove(self, system_id: str) -> None:
        self.systems.pop(system_id, None)


class InMemoryWebhookSecrets:
    """WebhookSecretStore over a dict; the newest generation wins, as in Redis."""

    def __init__(self) -> None:
        self.events: dict[str, ev.WebhookSecretsChanged] = {}

    async def save(self, event: ev.WebhookSecretsChanged) -> bool:
        stored = self.events.get(event.system_id)
        if not supersedes(event, stored.generation if stored else None):
            return False
        self.events[event.system_id] = event
        return True

    async def sealed(self, system_id: str) -> tuple[ev.SealedWebhookSecret, ...]:
        event = self.events.get(system_id)
        return event.secrets if event else ()

    async def remove(self, system_id: str) -> None:
        self.events.pop(system_id, None)


class InMemoryPortalNotifications:
    """PortalNotificationStore; newest means added last."""

    def __init__(self, *notifications: PortalNotification) -> None:
        self.notifications = {n.id: n for n in notifications}

    async def newest_first(self, pid: str, limit: int) -> list[PortalNotification]:
        return [n for n in reversed(self.notifications.values()) if n.pid == pid][:limit]

    async def get(self, notification_id: str) -> PortalNotification | None:
        return self.notifications.get(notification_id)

    async def save(self, notification: PortalNotification) -> None:
        self.notifications[notification.id] = notification


@dataclass
class QueuedJob:
    job: DeliveryJob
    due: float
    failed: int = 0


@dataclass
class InMemoryDeliveryQueue:
    """DeliveryQueue: claiming pushes the due time forward by the lease, as the Redis one does."""

    queued: dict[str, QueuedJob] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    def add(self, job: DeliveryJob, due: float = 0.0, failed: int = 0) -> None:
        self.queued[job.id] = QueuedJob(job, due, failed)

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[ClaimedJob]:
        due = sorted((q for q in self.queued.values() if q.due <= now), key=lambda q: q.due)[:limit]
        for queued in due:
            queued.due = now + lease_seconds
        return [ClaimedJob(q.job, q.failed) for q in due]

    async def delivered(self, job_id: str) -> None:
        del self.queued[job_id]
        self.outcomes[job_id] = "delivered"

    async def retry_at(self, job_id: str, at: float) -> None:
        self.queued[job_id].failed += 1
        self.queued[job_id].due = at

    async def give_up(self, job_id: str) -> None:
        del self.queued[job_id]
        self.outcomes[job_id] = "dead-letter"

    async def postpone(self, job_id: str, at: float) -> None:
        self.queued[job_id].due = at


MessageT = TypeVar("MessageT", Email, Webhook)


class RecordingSender(Generic[MessageT]):
    """Sender: records what it was asked to send; fails while ``failing`` is set (for good when
    ``permanent``); a message whose URL or address is in ``stall`` waits until released."""

    def __init__(self, failing: str | None = None, *, permanent: bool = False) -> None:
        self.sent: list[tuple[str, MessageT]] = []
        self.failing = failing
        self.permanent = permanent
        self.stall: set[str] = set()
        self.release = asyncio.Event()
        self.running = 0
        self.most_running = 0

    async def send(self, delivery_id: str, message: MessageT) -> None:
        self.sent.append((delivery_id, message))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            target = message.url if isinstance(message, Webhook) else message.to
            if any(part in target for part in self.stall):
                await self.release.wait()
        finally:
            self.running -= 1
        if self.failing is not None:
            raise DeliveryFailed(self.failing, permanent=self.permanent)


@dataclass
class RecordingDeadLetters:
    """DeadLetters: records each job given up."""

    published: list[tuple[DeliveryJob, int, str]] = field(default_factory=list)

    async def publish(self, job: DeliveryJob, failed_attempts: int, error: str) -> None:
        self.published.append((job, failed_attempts, error))


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


_numbers = itertools.count(1)


def notification(pid: str, read: bool = False) -> PortalNotification:
    """A notification with a fresh id; later ones are newer."""
    n = next(_numbers)
    return PortalNotification(
        id=f"n{n}",
        pid=pid,
        request_id="r1",
        title=f"Varsel {n}",
        body="Tekst",
        link="https://p/x",
        created="t",
        read=read,
    )

"""What the use cases need from the outside world, as Protocols; ``storage/`` implements them."""

from __future__ import annotations

from typing import Protocol, TypeVar
from uuid import UUID

from shared import events as ev

from ..domain.deliveries import ClaimedJob, DeliveryJob, Email, Webhook
from ..domain.plans import NotificationPlan
from ..domain.portal_notifications import PortalNotification

__all__ = [
    "DeadLetters",
    "DeliveryQueue",
    "NotificationSchedule",
    "PortalNotificationStore",
    "SecretOpener",
    "Sender",
    "SystemCatalog",
    "WebhookSecretStore",
]

MessageT_contra = TypeVar("MessageT_contra", Email, Webhook, contravariant=True)


class NotificationSchedule(Protocol):
    """Stores an event's plan once: the jobs, the portal notifications and the event's id together."""

    async def schedule(self, event_id: UUID, plan: NotificationPlan, now: float) -> bool:
        """Store ``plan`` with its jobs due at ``now``; False if this event was stored before."""
        ...


class DeliveryQueue(Protocol):
    """Scheduled jobs, leased to one worker at a time."""

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[ClaimedJob]:
        """Up to ``limit`` jobs due at ``now``, hidden from other workers for ``lease_seconds``."""
        ...

    async def delivered(self, job_id: str) -> None: ...

    async def retry_at(self, job_id: str, at: float) -> None:
        """Count the failed attempt and make the job due again at ``at``."""
        ...

    async def give_up(self, job_id: str) -> None: ...

    async def postpone(self, job_id: str, at: float) -> None:
        """Make the job due again at ``at`` without counting an attempt (its lane was busy)."""
        ...


class Sender(Protocol[MessageT_contra]):
    """Delivers one message over one channel; raises ``DeliveryFailed`` when it did not arrive."""

    async def send(self, delivery_id: str, message: MessageT_contra) -> None: ...


class DeadLetters(Protocol):
    """Where jobs go that ran out of attempts, for people to look at."""

    async def publish(self, job: DeliveryJob, failed_attempts: int, error: str) -> None: ...


class PortalNotificationStore(Protocol):
    """The notifications people see in the portal."""

    async def newest_first(self, pid: str, limit: int) -> list[PortalNotification]: ...

    async def get(self, notification_id: str) -> PortalNotification | None: ...

    async def save(self, notification: PortalNotification) -> None: ...


class SystemCatalog(Protocol):
    """What the notifier knows of registered systems (names, webhook URLs), from the register."""

    async def get(self, system_id: str) -> ev.SystemDescription | None: ...

    async def save(self, system: ev.SystemDescription) -> None: ...

    async def remove(self, system_id: str) -> None: ...


class WebhookSecretStore(Protocol):
    """The systems' sealed webhook signing secrets, as the register last announced them."""

    async def save(self, event: ev.WebhookSecretsChanged) -> bool:
        """Store the event's secrets unless a newer generation is stored; False when it was older."""
        ...

    async def sealed(self, system_id: str) -> tuple[ev.SealedWebhookSecret, ...]: ...

    async def remove(self, system_id: str) -> None: ...


class SecretOpener(Protocol):
    """Opens a sealed secret (``shared.sealing.SecretBox``); raises ``ValueError`` when it cannot."""

    def open(self, sealed: str, context: str) -> str: ...

"""The notifier's Redis key names, in one place."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NotifierKeys"]


@dataclass(frozen=True, slots=True)
class NotifierKeys:
    """Every key starts with the service's prefix.

    Beside these, ``shared.idempotency`` records each handled event under
    ``{prefix}:inbox:{event_id}``. A person's portal notifications live under
    ``{prefix}:inbox:{pid}`` for historical reasons; pids and event ids never collide.
    """

    prefix: str

    @property
    def due(self) -> str:
        """Sorted set: job id -> when it is due next (epoch seconds)."""
        return f"{self.prefix}:due"

    def job(self, job_id: str) -> str:
        """Hash: kind, deliveryId, payload (JSON), attempts."""
        return f"{self.prefix}:job:{job_id}"

    def done(self, job_id: str) -> str:
        """String: "1" once delivered, "dead-letter" once given up; expires."""
        return f"{self.prefix}:done:{job_id}"

    def notifications_of(self, pid: str) -> str:
        """Sorted set: a person's notification ids by creation time."""
        return f"{self.prefix}:inbox:{pid}"

    def notification(self, notification_id: str) -> str:
        """String: one portal notification (JSON)."""
        return f"{self.prefix}:notification:{notification_id}"

    def system(self, system_id: str) -> str:
        """String: the system's description from the register (JSON, camelCase)."""
        return f"{self.prefix}:system:{system_id}"

    def webhook_secrets(self, system_id: str) -> str:
        """String: the system's sealed webhook signing secrets and their generation (JSON)."""
        return f"{self.prefix}:webhook-secrets:{system_id}"

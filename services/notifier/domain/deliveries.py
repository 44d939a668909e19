"""What the notifier sends: one delivery job per recipient, carrying an e-mail or a webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Channel", "ClaimedJob", "DeliveryFailed", "DeliveryJob", "Email", "Webhook"]

Channel = Literal["email", "webhook"]


class DeliveryFailed(Exception):
    """One attempt to deliver did not succeed (the server refused or could not be reached).

    ``permanent`` failures are not retried: the job becomes a dead letter at once (a webhook
    URL that points into our own networks, say).
    """

    def __init__(self, message: str, *, permanent: bool = False, outcome: str = "error") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.outcome = outcome
        """A short, bounded name of how it failed, for metrics: ``timeout``, ``refused``,
        ``unreachable``, ``http_4xx``/``http_5xx`` (webhooks), ``rejected`` (SMTP), ``error``."""


@dataclass(frozen=True, slots=True)
class Email:
    """An e-mail to one person."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Webhook:
    """A signed POST to a vendor's webhook URL; ``body`` is the exact JSON text sent every time."""

    url: str
    system_id: str
    event_type: str
    body: str


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """One delivery to one recipient; its ids are the same however often the event is redelivered.

    ``id`` names the job in storage; ``delivery_id`` is what the recipient deduplicates on
    (the e-mail's Message-ID, the webhook's delivery header), equal for every attempt.
    """

    id: str
    delivery_id: str
    message: Email | Webhook

    @property
    def channel(self) -> Channel:
        return "email" if isinstance(self.message, Email) else "webhook"


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A due job leased to this worker for one attempt, with the attempts that failed before."""

    job: DeliveryJob
    failed_attempts: int
    trace: Mapping[str, str] = field(default_factory=dict)
    """The trace context the job was planned in (W3C headers; empty when none was stored)."""

"""How many deliveries may be under way at once: per destination host, for webhooks in all, and
in all, so that no receiver, however slow, can hold up the others or the e-mails.

Each attempt runs in a *lane*: the SMTP relay is one lane, every webhook host is its own.
A lane admits at most ``per_host`` attempts at once; all webhooks together at most
``overall - per_host``, so that the e-mail lane always finds room; everything together at most
``overall``. A job whose lane is full is not waited for: it is postponed, so that it holds
neither a slot nor its lease.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .deliveries import Channel, DeliveryJob, Webhook

__all__ = ["ConcurrencyLimits", "Lane", "lane_of"]


@dataclass(frozen=True, slots=True)
class Lane:
    """Where an attempt goes: the SMTP relay, or one webhook host."""

    channel: Channel
    host: str


EMAIL_LANE = Lane("email", "smtp")


def lane_of(job: DeliveryJob) -> Lane:
    if isinstance(job.message, Webhook):
        try:
            host = (urlsplit(job.message.url).hostname or "").lower()
        except ValueError:
            host = ""
        return Lane("webhook", host)
    return EMAIL_LANE


@dataclass(frozen=True, slots=True)
class ConcurrencyLimits:
    """Attempts under way at once: in all, per lane, and (implicitly) for webhooks in all."""

    overall: int = 16
    per_host: int = 4

    def __post_init__(self) -> None:
        if self.per_host < 1 or self.overall < 2 * self.per_host:
            raise ValueError("need per_host >= 1 and overall >= 2 * per_host (room for e-mail)")

    @property
    def webhooks(self) -> int:
        """All webhook lanes together; the rest is kept for e-mail."""
        return self.overall - self.per_host

    def admits(self, lane: Lane, in_flight: Mapping[Lane, int]) -> bool:
        """May one more attempt start in ``lane``, with ``in_flight`` attempts under way?"""
        if sum(in_flight.values()) >= self.overall or in_flight.get(lane, 0) >= self.per_host:
            return False
        if lane.channel == "webhook":
            webhooks = sum(n for other, n in in_flight.items() if other.channel == "webhook")
            return webhooks < self.webhooks
        return True

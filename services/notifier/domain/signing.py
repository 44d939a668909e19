"""Which of a system's webhook signing secrets sign a delivery made now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shared import events as ev

__all__ = ["signing_now", "supersedes"]


def signing_now(secrets: Iterable[ev.SealedWebhookSecret], now: datetime) -> tuple[str, ...]:
    """The sealed secrets valid at ``now``: the current one and rotated-out ones still in grace."""
    return tuple(s.sealed for s in secrets if s.not_after is None or s.not_after > now)


def supersedes(incoming: ev.WebhookSecretsChanged, stored_generation: int | None) -> bool:
    """An event replaces what is stored unless it is older (last write wins, by generation)."""
    return stored_generation is None or incoming.generation >= stored_generation

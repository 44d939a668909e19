"""Refusals: why a rule said no, in domain terms. Handlers turn them into HTTP answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Refusal", "RefusalReason", "Refused", "Unavailable"]


class RefusalReason(StrEnum):
    INVALID = "invalid"  # the command itself is wrong, or the state does not allow it
    FORBIDDEN = "forbidden"  # the actor may not do this
    NOT_FOUND = "not-found"  # no such thing for this actor or party
    UNAVAILABLE = "unavailable"  # try again later


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str = ""
    reason: RefusalReason = RefusalReason.INVALID
    title: str | None = None
    clients: tuple[str, ...] = ()


class Refused(Exception):
    """A use case refused; carries the domain's reason. Nothing was changed."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail or refusal.code)
        self.refusal = refusal


class Unavailable(Exception):
    """Something the change depends on could not take it (a broker outage); nothing was recorded."""

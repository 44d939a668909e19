"""The result of a rule that changes state: the new record and the event that announces it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shared.events import Message

__all__ = ["Applied"]

RecordT = TypeVar("RecordT", covariant=True)
EventT = TypeVar("EventT", bound=Message, covariant=True)


@dataclass(frozen=True, slots=True)
class Applied(Generic[RecordT, EventT]):
    """A state change the rules allowed; storage writes the record and the event in one atomic step."""

    record: RecordT
    event: EventT
    also: tuple[Message, ...] = field(default=())
    """Further events of the same change, published after ``event`` (in the same atomic step)."""

    @property
    def events(self) -> tuple[Message, ...]:
        return (self.event, *self.also)

"""The history of one system access, as typed records built from the events approval sees.

One entry per thing that happened: the vendor's request, a forward, the approval, each
client added or removed, a change of rights or packages, the deletion. Storage appends the
entries in the same transaction as the change they record, so the history never disagrees
with the state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared import events as ev

from .models import Record

__all__ = ["HistoryEntry", "HistoryKind", "entry_for", "history_of"]


class HistoryKind(StrEnum):
    REQUESTED = "requested"
    ESCALATED = "escalated"
    APPROVED = "approved"
    CLIENT_ADDED = "client-added"
    CLIENT_REMOVED = "client-removed"
    CHANGED = "changed"
    DELETED = "deleted"


class HistoryEntry(Record):
    """What happened, when, and who did it (a pid; pages show the person's name)."""

    kind: HistoryKind
    at: datetime
    event_id: str
    actor_pid: str | None = None
    client_org_no: str | None = None
    # A change of the access itself (a change request): what was added and what removed.
    rights_added: tuple[str, ...] = ()
    rights_removed: tuple[str, ...] = ()
    packages_added: tuple[str, ...] = ()
    packages_removed: tuple[str, ...] = ()


def entry_for(event: ev.Message) -> HistoryEntry | None:
    """The history entry an event makes for its system access; None for events that make none."""
    event_id = str(event.event_id)
    if isinstance(event, ev.SystemAccessRequested):
        return HistoryEntry(kind=HistoryKind.REQUESTED, at=event.created, event_id=event_id)
    if isinstance(event, ev.RequestEscalated):
        return HistoryEntry(
            kind=HistoryKind.ESCALATED, at=event.escalated_at, event_id=event_id, actor_pid=event.escalated_by
        )
    if isinstance(event, ev.SystemAccessCreated):
        return HistoryEntry(
            kind=HistoryKind.APPROVED, at=event.approved_at, event_id=event_id, actor_pid=event.approved_by
        )
    if isinstance(event, ev.ClientAdded | ev.ClientRemoved):
        added = isinstance(event, ev.ClientAdded)
        return HistoryEntry(
            kind=HistoryKind.CLIENT_ADDED if added else HistoryKind.CLIENT_REMOVED,
            at=event.occurred_at,
            event_id=event_id,
            actor_pid=event.added_by if isinstance(event, ev.ClientAdded) else event.removed_by,
            client_org_no=event.client_org_no,
        )
    if isinstance(event, ev.SystemAccessChanged):
        return HistoryEntry(
            kind=HistoryKind.CHANGED,
            at=event.changed_at,
            event_id=event_id,
            actor_pid=event.changed_by,
            rights_added=event.rights_added,
            rights_removed=event.rights_removed,
            packages_added=event.access_packages_added,
            packages_removed=event.access_packages_removed,
        )
    if isinstance(event, ev.SystemAccessDeleted):
        return HistoryEntry(
            kind=HistoryKind.DELETED, at=event.occurred_at, event_id=event_id, actor_pid=event.deleted_by
        )
    return None


def history_of(*events: ev.Message) -> tuple[HistoryEntry, ...]:
    """The entries a change's events make, in the order the events happened."""
    return tuple(entry for event in events if (entry := entry_for(event)) is not None)

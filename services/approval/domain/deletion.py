"""Deleting a system access: who may, and what it causes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared import events as ev

from .authorization import Relation
from .history import HistoryEntry, history_of
from .models import SystemAccess
from .refusals import Refusal, RefusalReason

__all__ = ["Deleted", "delete_access", "may_delete"]

NOT_FOUND = Refusal("AUTH-00015", reason=RefusalReason.NOT_FOUND, title="System user not found")


def may_delete(relation: Relation | None) -> Refusal | None:
    if relation is None or not relation.is_access_manager:
        detail = "Only an access manager of the organisation may delete"
        return Refusal("AUTH-00066", detail, RefusalReason.FORBIDDEN, title="Forbidden")
    return None


@dataclass(frozen=True)
class Deleted:
    access: SystemAccess
    event: ev.SystemAccessDeleted

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        return history_of(self.event)


def delete_access(access: SystemAccess | None, party_org_no: str, actor_pid: str) -> Deleted | Refusal:
    """A system access is deleted once, by its own party; its clients go with it."""
    if access is None or access.deleted or access.party_org_no != party_org_no:
        return NOT_FOUND
    event = ev.SystemAccessDeleted(
        system_access_id=uuid.UUID(access.id),
        system_id=access.system_id,
        vendor_org_no=access.vendor_org_no,
        party_org_no=party_org_no,
        external_ref=access.external_ref,
        deleted_by=actor_pid,
    )
    deleted = access.model_copy(
        update={"deleted": True, "deleted_by": actor_pid, "deleted_at": event.occurred_at}
    )
    return Deleted(deleted, event)

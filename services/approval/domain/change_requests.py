"""Change requests in approval: how one arrives, what it changes, and a person's decision on it.

The change is worked out against the access as it is when someone looks or decides (it may
have changed since the vendor asked). Who may decide is the rule of a new request
(``authorization.assess``) applied to what the change *adds*: an access manager of the party
who, for a standard access, holds every right and package added; removing needs the role
only. Unlike Altinn, the party a decision is sent for must be the change request's party.
There is no forwarding: as in Altinn, a person who may not decide cannot escalate it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared import events as ev
from shared.access_changes import AccessChange, apply_change, change_of

from .authorization import Verdict
from .decisions import authorize
from .history import HistoryEntry, history_of
from .models import Record, SystemAccess
from .refusals import Refusal, RefusalReason

__all__ = [
    "ChangeApplied",
    "ChangeRequestRecord",
    "ChangeStatus",
    "ChangeTimedOut",
    "apply_change_decision",
    "change_request_from_event",
    "pending_change",
    "time_out_change",
    "withdraw_change",
]


class ChangeStatus(StrEnum):
    NEW = "New"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    TIMED_OUT = "Timedout"
    WITHDRAWN = "Withdrawn"
    DENIED = "Denied"


class ChangeRequestRecord(Record):
    """A vendor's change request as approval knows it, from its arrival to its outcome."""

    id: str
    system_access_id: str
    request_type: ev.RequestType
    system_id: str
    system_name: dict[str, str] = Field(default_factory=dict)
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    required_rights: tuple[str, ...] = ()
    unwanted_rights: tuple[str, ...] = ()
    required_access_packages: tuple[str, ...] = ()
    unwanted_access_packages: tuple[str, ...] = ()
    redirect_url: str | None = None
    created: datetime
    expires_at: datetime
    status: ChangeStatus = ChangeStatus.NEW
    decided_by: str | None = None
    decided_at: datetime | None = None

    def status_at(self, now: datetime) -> ChangeStatus:
        if self.status is ChangeStatus.NEW and self.expires_at <= now:
            return ChangeStatus.TIMED_OUT
        return self.status


def change_request_from_event(event: ev.SystemAccessChangeRequested) -> ChangeRequestRecord:
    return ChangeRequestRecord(
        id=str(event.change_request_id),
        system_access_id=str(event.system_access_id),
        request_type=event.request_type,
        system_id=event.system_id,
        system_name=event.system_name,
        vendor_org_no=event.vendor_org_no,
        party_org_no=event.party_org_no,
        external_ref=event.external_ref,
        required_rights=event.required_rights,
        unwanted_rights=event.unwanted_rights,
        required_access_packages=event.required_access_packages,
        unwanted_access_packages=event.unwanted_access_packages,
        redirect_url=event.redirect_url,
        created=event.created,
        expires_at=event.expires_at,
    )


def withdraw_change(change: ChangeRequestRecord | None) -> ChangeRequestRecord | None:
    """Only a pending change request can be withdrawn; None means nothing changes."""
    if change is None or change.status is not ChangeStatus.NEW:
        return None
    return change.model_copy(update={"status": ChangeStatus.WITHDRAWN})


def deny_change(change: ChangeRequestRecord | None) -> ChangeRequestRecord | None:
    """A pending change request whose system access was deleted can never be decided: Denied
    (Altinn defines the status but never sets it). None means nothing changes."""
    if change is None or change.status is not ChangeStatus.NEW:
        return None
    return change.model_copy(update={"status": ChangeStatus.DENIED})


def pending_change(change: ChangeRequestRecord, access: SystemAccess) -> AccessChange:
    """What the change request would add to and remove from the access as it is now."""
    return change_of(
        access.rights,
        access.access_packages,
        required_rights=change.required_rights,
        unwanted_rights=change.unwanted_rights,
        required_packages=change.required_access_packages,
        unwanted_packages=change.unwanted_access_packages,
    )


@dataclass(frozen=True)
class ChangeApplied:
    """A decision that changes state: the change request after it, its event, the access after it
    (when approved), and the history entries it adds to the access."""

    change_request: ChangeRequestRecord
    event: ev.SystemAccessChanged | ev.SystemAccessChangeRejected
    access: SystemAccess | None = None

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        return history_of(self.event)

    @property
    def outcome(self) -> str:
        return "Accepted" if isinstance(self.event, ev.SystemAccessChanged) else "Rejected"


NOT_FOUND = Refusal("AUTH-00010", "Change request not found for this party", RefusalReason.NOT_FOUND)


def apply_change_decision(
    change: ChangeRequestRecord | None,
    access: SystemAccess | None,
    command: ev.DecideChangeRequest,
    verdict: Verdict,
    now: datetime,
) -> ChangeApplied | Refusal:
    """Apply a person's decision; ``verdict`` is ``assess`` of the person on what the change adds."""
    if change is None or change.party_org_no != command.party_org_no:
        return NOT_FOUND
    status = change.status_at(now)
    if status is not ChangeStatus.NEW:
        return Refusal("AUTH-00013", f"The change request is not in status New (it is {status})")
    if command.decision is ev.Decision.ESCALATE:
        return Refusal("AUTH-00066", "A change request cannot be forwarded", RefusalReason.FORBIDDEN)
    if access is None or access.deleted or access.party_org_no != change.party_org_no:
        return Refusal("AUTH-00015", "The system user no longer exists", RefusalReason.NOT_FOUND)
    refusal = authorize(verdict, command.decision)
    if refusal is not None:
        return refusal
    decided = change.model_copy(update={"decided_by": command.actor_pid, "decided_at": now})
    if command.decision is ev.Decision.REJECT:
        rejected = ev.SystemAccessChangeRejected(
            change_request_id=uuid.UUID(change.id),
            system_access_id=uuid.UUID(access.id),
            system_id=change.system_id,
            vendor_org_no=change.vendor_org_no,
            party_org_no=change.party_org_no,
            rejected_by=command.actor_pid,
            rejected_at=now,
        )
        return ChangeApplied(decided.model_copy(update={"status": ChangeStatus.REJECTED}), rejected)
    diff = pending_change(change, access)
    rights, packages = apply_change(access.rights, access.access_packages, diff)
    changed = ev.SystemAccessChanged(
        change_request_id=uuid.UUID(change.id),
        system_access_id=uuid.UUID(access.id),
        request_type=access.request_type,
        system_id=access.system_id,
        vendor_org_no=access.vendor_org_no,
        party_org_no=access.party_org_no,
        external_ref=access.external_ref,
        rights_added=diff.rights_added,
        rights_removed=diff.rights_removed,
        access_packages_added=diff.packages_added,
        access_packages_removed=diff.packages_removed,
        rights=rights,
        access_packages=packages,
        changed_by=command.actor_pid,
        changed_at=now,
    )
    return ChangeApplied(
        decided.model_copy(update={"status": ChangeStatus.ACCEPTED}),
        changed,
        access.model_copy(update={"rights": rights, "access_packages": packages}),
    )


@dataclass(frozen=True)
class ChangeTimedOut:
    change_request: ChangeRequestRecord
    event: ev.ChangeRequestTimedOut


def time_out_change(change: ChangeRequestRecord | None, now: datetime) -> ChangeTimedOut | None:
    """A pending change request past its time to live times out, once."""
    if change is None or change.status is not ChangeStatus.NEW or change.expires_at > now:
        return None
    event = ev.ChangeRequestTimedOut(
        change_request_id=uuid.UUID(change.id),
        system_access_id=uuid.UUID(change.system_access_id),
        system_id=change.system_id,
        vendor_org_no=change.vendor_org_no,
        party_org_no=change.party_org_no,
    )
    return ChangeTimedOut(change.model_copy(update={"status": ChangeStatus.TIMED_OUT}), event)

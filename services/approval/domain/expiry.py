"""Time rules: when a pending request times out, and the one reminder of an escalated request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared import events as ev

from .models import RequestStatus, SystemAccessRequest

__all__ = ["TimedOut", "reminder", "reminder_due_at", "time_out"]


@dataclass(frozen=True)
class TimedOut:
    request: SystemAccessRequest
    event: ev.RequestTimedOut


def time_out(request: SystemAccessRequest | None, now: datetime) -> TimedOut | None:
    """A pending request past its time to live times out, once; anything else stays as it is."""
    if request is None or request.status is not RequestStatus.NEW or request.expires_at > now:
        return None
    event = ev.RequestTimedOut(
        request_id=uuid.UUID(request.id),
        system_id=request.system_id,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
    )
    return TimedOut(request.model_copy(update={"status": RequestStatus.TIMED_OUT}), event)


def reminder_due_at(request: SystemAccessRequest) -> datetime:
    """Access managers are reminded once, halfway through an escalated request's time to live."""
    return request.created + (request.expires_at - request.created) / 2


def reminder(
    request: SystemAccessRequest | None, managers: tuple[str, ...]
) -> ev.EscalationReminderTriggered | None:
    """The reminder of an escalated request that is still pending, or None."""
    if request is None or request.status is not RequestStatus.NEW or not request.escalated:
        return None
    return ev.EscalationReminderTriggered(
        request_id=uuid.UUID(request.id),
        request_type=request.request_type,
        system_id=request.system_id,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
        access_managers=managers,
        expires_at=request.expires_at,
    )

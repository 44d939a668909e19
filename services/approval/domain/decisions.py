"""Applying a decision to a pending request: a pure function from state and command to outcome."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared import events as ev

from .authorization import Capability, Verdict
from .history import HistoryEntry, history_of
from .models import DecisionOutcome, RequestStatus, SystemAccess, SystemAccessRequest
from .refusals import Refusal, RefusalReason

__all__ = ["Applied", "Decide", "apply_decision", "authorize"]


@dataclass(frozen=True)
class Applied:
    """A decision that changes state: the request after it, the event it causes, and the access it
    creates when approved."""

    request: SystemAccessRequest
    event: ev.Message
    outcome: DecisionOutcome
    access: SystemAccess | None = None

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        """What the decision adds to the history (approval and forwarding; a rejection makes no access)."""
        return history_of(self.event)


# Decides on the request as it is inside the storage transaction (None: no such request).
Decide = Callable[[SystemAccessRequest | None], Awaitable["Applied | Refusal"]]


def apply_decision(
    request: SystemAccessRequest | None,
    command: ev.DecideRequest,
    verdict: Verdict,
    managers: tuple[str, ...],
    now: datetime,
    max_command_age: timedelta | None = None,
) -> Applied | Refusal:
    if max_command_age is not None and now - command.occurred_at > max_command_age:
        # A command replayed onto the topic long after it was sent is not a decision anyone made now.
        return Refusal("AUTH-STALE", f"The decision command is older than {max_command_age}")
    if request is None or request.party_org_no != command.party_org_no:
        return Refusal("AUTH-00010", "Request not found for this party", RefusalReason.NOT_FOUND)
    status = request.status_at(now)
    if status is not RequestStatus.NEW:
        return Refusal("AUTH-00013", f"The request is not in status New (it is {status})")
    refusal = authorize(verdict, command.decision)
    if refusal is not None:
        return refusal
    if command.decision is ev.Decision.ESCALATE:
        return _escalate(request, command, managers, now)
    if command.decision is ev.Decision.APPROVE:
        return _approve(request, command, now)
    return _reject(request, command, now)


def authorize(verdict: Verdict, decision: ev.Decision) -> Refusal | None:
    """Anyone related to the party may forward a request; only those who may decide approve or reject."""
    if verdict.capability is Capability.NONE:
        return Refusal("AUTH-00066", "The user has no relation to the organisation", RefusalReason.FORBIDDEN)
    if decision is not ev.Decision.ESCALATE and verdict.capability is not Capability.DECIDE:
        return Refusal("AUTH-00066", f"The user may not decide: {verdict.reason}", RefusalReason.FORBIDDEN)
    return None


def _approve(request: SystemAccessRequest, command: ev.DecideRequest, now: datetime) -> Applied:
    decided = request.model_copy(
        update={"status": RequestStatus.ACCEPTED, "decided_by": command.actor_pid, "decided_at": now}
    )
    access = SystemAccess(
        id=request.id,
        request_type=request.request_type,
        system_id=request.system_id,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
        external_ref=request.external_ref,
        integration_title=request.integration_title,
        rights=request.rights,
        access_packages=request.access_packages,
        created_by=command.actor_pid,
        created=now,
    )
    event = ev.SystemAccessCreated(
        system_access_id=uuid.UUID(request.id),
        request_type=request.request_type,
        external_ref=request.external_ref,
        integration_title=request.integration_title,
        rights=request.rights,
        access_packages=request.access_packages,
        approved_by=command.actor_pid,
        approved_at=now,
        request_id=uuid.UUID(request.id),
        system_id=request.system_id,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
    )
    return Applied(decided, event, DecisionOutcome.ACCEPTED, access)


def _reject(request: SystemAccessRequest, command: ev.DecideRequest, now: datetime) -> Applied:
    decided = request.model_copy(
        update={"status": RequestStatus.REJECTED, "decided_by": command.actor_pid, "decided_at": now}
    )
    event = ev.SystemAccessRequestRejected(
        request_id=uuid.UUID(request.id),
        system_id=request.system_id,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
        rejected_by=command.actor_pid,
        rejected_at=now,
    )
    return Applied(decided, event, DecisionOutcome.REJECTED)


def _escalate(
    request: SystemAccessRequest, command: ev.DecideRequest, managers: tuple[str, ...], now: datetime
) -> Applied | Refusal:
    if request.escalated:
        return Refusal("AUTH-00067", "The request has already been forwarded to the access managers")
    escalated = request.model_copy(
        update={"escalated": True, "escalated_by": command.actor_pid, "escalated_at": now}
    )
    event = ev.RequestEscalated(
        request_type=request.request_type,
        escalated_by=command.actor_pid,
        escalated_at=now,
        access_managers=managers,
        request_id=uuid.UUID(request.id),
        system_id=request.system_id,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
    )
    return Applied(escalated, event, DecisionOutcome.ESCALATED)

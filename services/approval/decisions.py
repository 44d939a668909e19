"""Applying a decision to a pending request: a pure function from state and command to outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import events as ev

from .authorization import Capability, Verdict

PENDING = "New"


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    status: int = 400


@dataclass(frozen=True)
class Applied:
    new_state: dict[str, Any]
    event: ev.Message
    outcome: str  # Accepted | Rejected | Escalated


def effective_status(state: dict[str, Any], now: datetime) -> str:
    status = str(state["status"])
    if status == PENDING and datetime.fromisoformat(state["expiresAt"]) <= now:
        return "Timedout"
    return status


def apply_decision(
    state: dict[str, Any] | None,
    command: ev.DecideRequest,
    verdict: Verdict,
    managers: tuple[str, ...],
    now: datetime,
) -> Applied | Refusal:
    if state is None or state["partyOrgNo"] != command.party_org_no:
        return Refusal("AUTH-00010", "Request not found for this party", 404)
    status = effective_status(state, now)
    if status != PENDING:
        return Refusal("AUTH-00013", f"The request is not in status New (it is {status})")
    if verdict.capability is Capability.NONE:
        return Refusal("AUTH-00066", "The user has no relation to the organisation", 403)
    if command.decision is ev.Decision.ESCALATE:
        return _escalate(state, command, managers, now)
    if verdict.capability is not Capability.DECIDE:
        return Refusal("AUTH-00066", f"The user may not decide: {verdict.reason}", 403)
    if command.decision is ev.Decision.APPROVE:
        return _approve(state, command, now)
    return _reject(state, command, now)


def _key(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": uuid.UUID(state["id"]),
        "system_id": state["systemId"],
        "vendor_org_no": state["vendorOrgNo"],
        "party_org_no": state["partyOrgNo"],
    }


def _approve(state: dict[str, Any], command: ev.DecideRequest, now: datetime) -> Applied:
    new_state = {**state, "status": "Accepted", "decidedBy": command.actor_pid, "decidedAt": now.isoformat()}
    event = ev.SystemAccessCreated(
        system_access_id=uuid.UUID(state["id"]),
        request_type=ev.RequestType(state["requestType"]),
        external_ref=state["externalRef"],
        integration_title=state["integrationTitle"],
        rights=tuple(state["rights"]),
        access_packages=tuple(state["accessPackages"]),
        approved_by=command.actor_pid,
        approved_at=now,
        **_key(state),
    )
    return Applied(new_state, event, "Accepted")


def _reject(state: dict[str, Any], command: ev.DecideRequest, now: datetime) -> Applied:
    new_state = {**state, "status": "Rejected", "decidedBy": command.actor_pid, "decidedAt": now.isoformat()}
    event = ev.SystemAccessRequestRejected(rejected_by=command.actor_pid, rejected_at=now, **_key(state))
    return Applied(new_state, event, "Rejected")


def _escalate(
    state: dict[str, Any], command: ev.DecideRequest, managers: tuple[str, ...], now: datetime
) -> Applied | Refusal:
    if state.get("escalated"):
        return Refusal("AUTH-00067", "The request has already been forwarded to the access managers")
    new_state = {**state, "escalated": True, "escalatedBy": command.actor_pid, "escalatedAt": now.isoformat()}
    event = ev.RequestEscalated(
        request_type=ev.RequestType(state["requestType"]),
        escalated_by=command.actor_pid,
        escalated_at=now,
        access_managers=managers,
        **_key(state),
    )
    return Applied(new_state, event, "Escalated")

"""Applying decisions: state machine and outcome events, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.approval.domain.authorization import Capability, Verdict
from services.approval.domain.decisions import Applied, apply_decision
from services.approval.domain.models import RequestStatus, SystemAccessRequest
from services.approval.domain.refusals import Refusal, RefusalReason
from shared import events as ev

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DECIDE = Verdict(Capability.DECIDE)
ESCALATE_ONLY = Verdict(Capability.ESCALATE, reason="not an access manager")
NOBODY = Verdict(Capability.NONE)
MANAGERS = ("12887010186", "03897610069", "05816510068")


def state(**overrides: Any) -> SystemAccessRequest:
    return SystemAccessRequest(
        id=str(uuid.uuid4()),
        request_type=ev.RequestType.STANDARD,
        system_id="314000110_smartcloud",
        vendor_org_no="314000110",
        party_org_no="310614289",
        external_ref="ref",
        integration_title="SmartCloud",
        rights=("ske-krav-og-betalinger",),
        created=NOW - timedelta(days=1),
        expires_at=NOW + timedelta(days=179),
    ).model_copy(update=overrides)


def command(
    current: SystemAccessRequest, decision: ev.Decision, party: str = "310614289"
) -> ev.DecideRequest:
    return ev.DecideRequest(
        request_id=uuid.UUID(current.id), party_org_no=party, decision=decision, actor_pid="12887010186"
    )


def test_approve_creates_system_access_with_the_request_id() -> None:
    current = state()
    result = apply_decision(current, command(current, ev.Decision.APPROVE), DECIDE, MANAGERS, NOW)
    assert isinstance(result, Applied)
    assert result.request.status is RequestStatus.ACCEPTED
    assert isinstance(result.event, ev.SystemAccessCreated)
    assert str(result.event.system_access_id) == current.id
    assert result.event.approved_by == "12887010186"
    assert result.event.approved_at == NOW


def test_reject() -> None:
    current = state()
    result = apply_decision(current, command(current, ev.Decision.REJECT), DECIDE, MANAGERS, NOW)
    assert isinstance(result, Applied)
    assert isinstance(result.event, ev.SystemAccessRequestRejected)
    assert result.request.status is RequestStatus.REJECTED


@pytest.mark.parametrize("status", ["Accepted", "Rejected", "Withdrawn", "Timedout"])
@pytest.mark.parametrize("decision", [ev.Decision.APPROVE, ev.Decision.REJECT, ev.Decision.ESCALATE])
def test_only_new_requests_can_be_decided(status: str, decision: ev.Decision) -> None:
    current = state(status=RequestStatus(status))
    result = apply_decision(current, command(current, decision), DECIDE, MANAGERS, NOW)
    assert isinstance(result, Refusal)
    assert result.code == "AUTH-00013"


def test_expired_request_cannot_be_approved() -> None:
    current = state(expires_at=NOW - timedelta(seconds=1))
    result = apply_decision(current, command(current, ev.Decision.APPROVE), DECIDE, MANAGERS, NOW)
    assert isinstance(result, Refusal)
    assert "Timedout" in result.detail


def test_wrong_party_is_not_found() -> None:
    current = state()
    result = apply_decision(
        current, command(current, ev.Decision.APPROVE, party="313222225"), DECIDE, MANAGERS, NOW
    )
    assert isinstance(result, Refusal)
    assert (result.code, result.reason) == ("AUTH-00010", RefusalReason.NOT_FOUND)


def test_unknown_request_is_not_found() -> None:
    current = state()
    result = apply_decision(None, command(current, ev.Decision.APPROVE), DECIDE, MANAGERS, NOW)
    assert isinstance(result, Refusal)
    assert result.reason is RefusalReason.NOT_FOUND


@pytest.mark.parametrize("decision", [ev.Decision.APPROVE, ev.Decision.REJECT])
def test_a_person_who_may_only_escalate_cannot_decide(decision: ev.Decision) -> None:
    current = state()
    result = apply_decision(current, command(current, decision), ESCALATE_ONLY, MANAGERS, NOW)
    assert isinstance(result, Refusal)
    assert (result.code, result.reason) == ("AUTH-00066", RefusalReason.FORBIDDEN)


def test_no_relation_cannot_even_escalate() -> None:
    current = state()
    result = apply_decision(current, command(current, ev.Decision.ESCALATE), NOBODY, MANAGERS, NOW)
    assert isinstance(result, Refusal)
    assert result.reason is RefusalReason.FORBIDDEN


def test_escalation_keeps_the_request_new_and_names_the_managers() -> None:
    current = state()
    result = apply_decision(current, command(current, ev.Decision.ESCALATE), ESCALATE_ONLY, MANAGERS, NOW)
    assert isinstance(result, Applied)
    assert result.request.status is RequestStatus.NEW
    assert result.request.escalated is True
    assert isinstance(result.event, ev.RequestEscalated)
    assert result.event.access_managers == MANAGERS
    again = apply_decision(
        result.request, command(current, ev.Decision.ESCALATE), ESCALATE_ONLY, MANAGERS, NOW
    )
    assert isinstance(again, Refusal)

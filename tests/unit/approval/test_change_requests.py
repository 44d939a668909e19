"""Change requests in approval: the decision rule (party, status, who decides), its events, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.approval.domain.authorization import Relation, assess
from services.approval.domain.change_requests import (
    ChangeApplied,
    ChangeRequestRecord,
    ChangeStatus,
    apply_change_decision,
    deny_change,
    pending_change,
    time_out_change,
    withdraw_change,
)
from services.approval.domain.history import HistoryKind
from services.approval.domain.models import SystemAccess
from services.approval.domain.refusals import Refusal
from shared import events as ev

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ACCESS_ID = "0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10"
CHANGE_ID = "5b1c7a0e-8d2f-4c3b-9a41-2e6f0d9c8b71"
TIGER, OTHER = "310614289", "315555000"
KRAV, MVA = "ske-krav-og-betalinger", "app_skd_mva-melding"
SKATT = "urn:altinn:accesspackage:skattnaering"
RAPPORT = "urn:altinn:accesspackage:regnskap-okonomi-rapport"
MANAGER = "12887010186"
HOLDS_ALL = Relation(
    roles=frozenset({"daglig-leder"}),
    rights=frozenset({KRAV, MVA}),
    packages=frozenset({"skattnaering", "regnskap-okonomi-rapport"}),
)
LACKS_MVA = Relation(
    roles=frozenset({"daglig-leder"}), rights=frozenset({KRAV}), packages=frozenset({"skattnaering"})
)
NOT_MANAGER = Relation(roles=frozenset({"regnskapsmedarbeider"}), rights=frozenset({KRAV, MVA}))


def change(**changes: object) -> ChangeRequestRecord:
    fields: dict[str, object] = {
        "id": CHANGE_ID,
        "system_access_id": ACCESS_ID,
        "request_type": "standard",
        "system_id": "314000110_smartcloud",
        "vendor_org_no": "314000110",
        "party_org_no": TIGER,
        "external_ref": TIGER,
        "required_rights": (MVA,),
        "unwanted_rights": (KRAV,),
        "required_access_packages": (RAPPORT,),
        "created": NOW - timedelta(hours=1),
        "expires_at": NOW + timedelta(days=1),
        **changes,
    }
    return ChangeRequestRecord.model_validate(fields)


def access(**changes: object) -> SystemAccess:
    fields: dict[str, object] = {
        "id": ACCESS_ID,
        "request_type": "standard",
        "system_id": "314000110_smartcloud",
        "vendor_org_no": "314000110",
        "party_org_no": TIGER,
        "external_ref": TIGER,
        "integration_title": "SmartCloud",
        "rights": (KRAV,),
        "access_packages": (SKATT,),
        "created_by": MANAGER,
        "created": NOW - timedelta(days=1),
        **changes,
    }
    return SystemAccess.model_validate(fields)


def command(decision: ev.Decision = ev.Decision.APPROVE, party: str = TIGER) -> ev.DecideChangeRequest:
    return ev.DecideChangeRequest(
        change_request_id=UUID(CHANGE_ID), party_org_no=party, decision=decision, actor_pid=MANAGER
    )


def decide(
    relation: Relation | None,
    decision: ev.Decision = ev.Decision.APPROVE,
    party: str = TIGER,
    on: ChangeRequestRecord | None = None,
    of: SystemAccess | None = None,
) -> ChangeApplied | Refusal:
    found, held = on or change(), of or access()
    diff = pending_change(found, held)
    verdict = assess(relation, held.request_type, diff.rights_added, diff.packages_added)
    return apply_change_decision(found, held, command(decision, party), verdict, NOW)


def test_approval_applies_the_diff_to_the_access_and_reports_it() -> None:
    applied = decide(HOLDS_ALL)
    assert isinstance(applied, ChangeApplied)
    assert applied.change_request.status is ChangeStatus.ACCEPTED
    assert applied.access is not None
    assert applied.access.rights == (MVA,)
    assert applied.access.access_packages == (SKATT, RAPPORT)
    event = applied.event
    assert isinstance(event, ev.SystemAccessChanged)
    assert event.rights_added == (MVA,)
    assert event.rights_removed == (KRAV,)
    assert event.access_packages_added == (RAPPORT,)
    assert event.access_packages_removed == ()
    assert event.changed_by == MANAGER
    [entry] = applied.history
    assert entry.kind is HistoryKind.CHANGED
    assert entry.rights_removed == (KRAV,)


def test_rejection_leaves_the_access_alone() -> None:
    applied = decide(HOLDS_ALL, ev.Decision.REJECT)
    assert isinstance(applied, ChangeApplied)
    assert applied.access is None
    assert isinstance(applied.event, ev.SystemAccessChangeRejected)
    assert applied.change_request.status is ChangeStatus.REJECTED
    assert applied.history == ()


@pytest.mark.parametrize(
    ("relation", "decision", "party", "on", "of", "code"),
    [
        (HOLDS_ALL, ev.Decision.APPROVE, OTHER, None, None, "AUTH-00010"),  # the route's party is checked
        (LACKS_MVA, ev.Decision.APPROVE, TIGER, None, None, "AUTH-00066"),  # must hold what is added
        (NOT_MANAGER, ev.Decision.REJECT, TIGER, None, None, "AUTH-00066"),  # must be an access manager
        (None, ev.Decision.REJECT, TIGER, None, None, "AUTH-00066"),
        (HOLDS_ALL, ev.Decision.ESCALATE, TIGER, None, None, "AUTH-00066"),  # no forwarding, as in Altinn
        (HOLDS_ALL, ev.Decision.APPROVE, TIGER, change(status="Accepted"), None, "AUTH-00013"),
        (HOLDS_ALL, ev.Decision.APPROVE, TIGER, change(expires_at=NOW), None, "AUTH-00013"),
        (HOLDS_ALL, ev.Decision.APPROVE, TIGER, None, access(deleted=True), "AUTH-00015"),
    ],
    ids=[
        "other-party",
        "lacks-added-right",
        "not-manager",
        "no-relation",
        "escalate",
        "decided",
        "expired",
        "deleted",
    ],
)
def test_refusals(
    relation: Relation | None,
    decision: ev.Decision,
    party: str,
    on: ChangeRequestRecord | None,
    of: SystemAccess | None,
    code: str,
) -> None:
    refused = decide(relation, decision, party, on, of)
    assert isinstance(refused, Refusal)
    assert refused.code == code


def test_removing_needs_only_the_role_and_a_client_access_needs_only_the_role() -> None:
    removal = change(required_rights=(), required_access_packages=(), unwanted_rights=(KRAV,))
    assert isinstance(decide(LACKS_MVA, on=removal, of=access(rights=(KRAV, MVA))), ChangeApplied)
    lonn = "urn:altinn:accesspackage:regnskapsforer-lonn"
    signing = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"
    agent_change = change(required_rights=(), unwanted_rights=(), required_access_packages=(signing,))
    agent_access = access(request_type="agent", rights=(), access_packages=(lonn,))
    applied = decide(LACKS_MVA, on=agent_change, of=agent_access)
    assert isinstance(applied, ChangeApplied)
    assert applied.access is not None
    assert applied.access.access_packages == (lonn, signing)


def test_expiry_and_withdrawal_move_only_a_pending_change_request() -> None:
    assert time_out_change(change(), NOW) is None
    timed_out = time_out_change(change(expires_at=NOW), NOW)
    assert timed_out is not None
    assert timed_out.change_request.status is ChangeStatus.TIMED_OUT
    assert str(timed_out.event.change_request_id) == CHANGE_ID
    assert time_out_change(change(status="Rejected", expires_at=NOW), NOW) is None
    withdrawn = withdraw_change(change())
    assert withdrawn is not None
    assert withdrawn.status is ChangeStatus.WITHDRAWN
    assert withdraw_change(change(status="Accepted")) is None


def test_a_pending_change_request_is_denied_when_its_access_is_deleted() -> None:
    denied = deny_change(change())
    assert denied is not None
    assert denied.status is ChangeStatus.DENIED
    for status in ("Accepted", "Rejected", "Timedout", "Withdrawn", "Denied"):
        assert deny_change(change(status=status)) is None
    assert deny_change(None) is None

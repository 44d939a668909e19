"""decide_creation: the duplicate-request rule, as a pure function."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.request_intake.domain.duplicates import (
    CreateNew,
    RefuseActiveAccess,
    ReturnExisting,
    active_access_refusal,
    decide_creation,
)
from services.request_intake.domain.refusals import RefusalKind
from services.request_intake.domain.requests import AccessRequest
from shared import events as ev
from tests.unit.request_intake.fakes import SMARTCLOUD, SYSTEM_ID, T0, TIGER

pytestmark = pytest.mark.unit

NOW = T0 + timedelta(days=1)
STANDARD, AGENT = ev.RequestType.STANDARD, ev.RequestType.AGENT


def latest(**changes: object) -> AccessRequest:
    fields: dict[str, object] = {
        "id": "req-1",
        "request_type": ev.RequestType.STANDARD,
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "party_org_no": TIGER,
        "external_ref": "ref-1",
        "integration_title": "SmartCloud",
        "created": T0,
        "expires_at": NOW + timedelta(seconds=1),
        **changes,
    }
    return AccessRequest.model_validate(fields)


def test_nothing_stored_creates() -> None:
    assert decide_creation(None, None, NOW, STANDARD) == CreateNew()


def test_a_pending_request_of_the_other_type_is_not_the_answer() -> None:
    """The bug of issue 13: an agent POST with a pending standard request's triple got the
    standard request back (200). Pending requests are per type, as in Altinn."""
    assert decide_creation(latest(), None, NOW, AGENT) == CreateNew()
    agent = latest(request_type=AGENT)
    assert decide_creation(agent, None, NOW, STANDARD) == CreateNew()
    assert decide_creation(agent, None, NOW, AGENT) == ReturnExisting(agent)


def test_a_pending_request_is_returned() -> None:
    request = latest()
    assert decide_creation(request, None, NOW, STANDARD) == ReturnExisting(request)


def test_an_active_access_refuses_even_with_a_pending_request() -> None:
    assert decide_creation(latest(), "access-1", NOW, STANDARD) == RefuseActiveAccess("access-1")
    assert decide_creation(None, "access-1", NOW, STANDARD) == RefuseActiveAccess("access-1")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status": "Accepted"}, id="accepted"),
        pytest.param({"status": "Rejected"}, id="rejected"),
        pytest.param({"status": "Timedout"}, id="timed-out"),
        pytest.param({"withdrawn": True}, id="withdrawn"),
        pytest.param({"expires_at": NOW}, id="expires-now"),
        pytest.param({"expires_at": NOW - timedelta(days=1)}, id="expired"),
    ],
)
def test_a_finished_request_does_not_block(changes: dict[str, object]) -> None:
    assert decide_creation(latest(**changes), None, NOW, STANDARD) == CreateNew()


def test_the_refusal_names_the_access() -> None:
    refusal = active_access_refusal("access-1")
    assert (refusal.kind, refusal.code, refusal.title) == (
        RefusalKind.INVALID,
        "AUTH-00004",
        "System user already exists",
    )
    assert refusal.details == {"systemUserId": "access-1"}

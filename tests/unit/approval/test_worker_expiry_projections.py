"""The decision worker, the expiry job and the projections of other services' events."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.approval.domain.models import DecisionOutcome, RequestStatus
from shared import events as ev
from tests.unit.approval.conftest import EMPLOYEE, MANAGER, NOW, PARTY, SYSTEM, VENDOR, InMemoryApproval

pytestmark = pytest.mark.unit


def decide(request_id: str, pid: str, decision: ev.Decision) -> ev.DecideRequest:
    return ev.DecideRequest(
        request_id=uuid.UUID(request_id), party_org_no=PARTY, decision=decision, actor_pid=pid
    )


class TestDecisionWorker:
    async def test_a_redelivered_command_changes_nothing(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        command = decide(request_id, MANAGER, ev.Decision.APPROVE)
        first = await approval.worker.handle(command)
        assert first is not None
        assert first.outcome is DecisionOutcome.ACCEPTED
        assert await approval.worker.handle(command) is None
        assert len(approval.repository.events_of(ev.SystemAccessCreated)) == 1

    async def test_the_actor_is_checked_again_whatever_the_command_says(
        self, approval: InMemoryApproval
    ) -> None:
        request_id = await approval.arrive()
        result = await approval.worker.handle(decide(request_id, EMPLOYEE, ev.Decision.APPROVE))
        assert result is not None
        assert result.outcome is DecisionOutcome.REFUSED
        assert approval.repository.requests[request_id].status is RequestStatus.NEW

    async def test_two_approvers_give_one_outcome(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        await approval.worker.handle(decide(request_id, MANAGER, ev.Decision.APPROVE))
        second = await approval.worker.handle(decide(request_id, MANAGER, ev.Decision.REJECT))
        assert second is not None
        assert second.code == "AUTH-00013"


class TestExpiry:
    async def test_a_request_times_out_once_at_its_ttl(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive(ttl=timedelta(days=10))
        approval.clock.now = NOW + timedelta(days=10) - timedelta(seconds=1)
        assert await approval.expiry.run_once() == (0, 0)
        approval.clock.now = NOW + timedelta(days=10)
        assert await approval.expiry.run_once() == (1, 0)
        assert await approval.expiry.run_once() == (0, 0)
        assert approval.repository.requests[request_id].status is RequestStatus.TIMED_OUT
        assert len(approval.repository.events_of(ev.RequestTimedOut)) == 1

    async def test_an_escalated_request_is_reminded_once_halfway(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive(ttl=timedelta(days=10))
        await approval.worker.handle(decide(request_id, EMPLOYEE, ev.Decision.ESCALATE))
        approval.clock.now = NOW + timedelta(days=5)
        assert await approval.expiry.run_once() == (0, 1)
        assert await approval.expiry.run_once() == (0, 0)
        (reminder,) = approval.repository.events_of(ev.EscalationReminderTriggered)
        assert isinstance(reminder, ev.EscalationReminderTriggered)
        assert MANAGER in reminder.access_managers

    async def test_a_decided_request_neither_expires_nor_reminds(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive(ttl=timedelta(days=10))
        await approval.worker.handle(decide(request_id, EMPLOYEE, ev.Decision.ESCALATE))
        await approval.worker.handle(decide(request_id, MANAGER, ev.Decision.APPROVE))
        approval.clock.now = NOW + timedelta(days=30)
        assert await approval.expiry.run_once() == (0, 0)


class TestProjections:
    async def test_a_request_arrives_once(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        assert approval.repository.requests[request_id].status is RequestStatus.NEW
        assert len(approval.repository.requests) == 1

    async def test_only_a_pending_request_is_withdrawn(self, approval: InMemoryApproval) -> None:
        pending, decided = await approval.arrive(), await approval.arrive()
        await approval.worker.handle(decide(decided, MANAGER, ev.Decision.REJECT))
        for request_id in (pending, decided):
            await approval.projections.request_withdrawn(
                ev.RequestWithdrawn(
                    request_id=uuid.UUID(request_id),
                    system_id=SYSTEM,
                    vendor_org_no=VENDOR,
                    party_org_no=PARTY,
                )
            )
        assert approval.repository.requests[pending].status is RequestStatus.WITHDRAWN
        assert approval.repository.requests[decided].status is RequestStatus.REJECTED

    async def test_systems_follow_the_register(self, approval: InMemoryApproval) -> None:
        system = ev.SystemDescription(system_id=SYSTEM, vendor_org_no=VENDOR, name={"nb": "SmartCloud"})
        await approval.projections.system_changed(ev.SystemRegistered(system=system))
        assert SYSTEM in approval.repository.systems
        await approval.projections.system_changed(ev.SystemDeleted(system_id=SYSTEM, vendor_org_no=VENDOR))
        assert SYSTEM not in approval.repository.systems


async def test_a_replayed_old_command_is_refused(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    old = decide(request_id, MANAGER, ev.Decision.APPROVE).model_copy(
        update={"occurred_at": NOW - timedelta(minutes=11)}
    )
    result = await approval.worker.handle(old)
    assert result is not None
    assert result.code == "AUTH-STALE"
    assert approval.repository.requests[request_id].status is RequestStatus.NEW

"""The portal's use cases: view a request, decide on it, and where the browser goes after."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from services.approval.domain.authorization import Capability
from services.approval.domain.models import DecisionOutcome, RequestStatus
from services.approval.domain.refusals import RefusalReason, Refused
from services.approval.services.portal import LOGGED_OUT_PATH
from shared import events as ev
from tests.unit.approval.conftest import (
    EMPLOYEE,
    MANAGER,
    MANAGER_WITHOUT_RIGHT,
    PARTY,
    STRANGER,
    SYSTEM,
    VENDOR,
    InMemoryApproval,
)
from tests.unit.approval.fakes import BrokenDecisions

pytestmark = pytest.mark.unit
STANDARD = ev.RequestType.STANDARD


def register_system(approval: InMemoryApproval, *redirects: str) -> None:
    approval.repository.systems[SYSTEM] = ev.SystemDescription(
        system_id=SYSTEM, vendor_org_no=VENDOR, name={"nb": "SmartCloud"}, allowed_redirect_urls=redirects
    )


class TestView:
    async def test_shows_names_and_lets_a_manager_with_the_rights_decide(
        self, approval: InMemoryApproval
    ) -> None:
        request_id = await approval.arrive()
        model = await approval.portal.view(request_id, MANAGER, STANDARD, "nb")
        assert model.party_name == "DISKRET NÆR TIGER AS"
        assert model.vendor_name == "SMARTCLOUD AS"
        assert model.rights[0].id == "ske-krav-og-betalinger"
        assert model.rights[0].name != "ske-krav-og-betalinger"
        assert model.may_decide
        assert not model.may_escalate

    @pytest.mark.parametrize("pid", [MANAGER_WITHOUT_RIGHT, EMPLOYEE])
    async def test_others_related_to_the_party_may_only_escalate(
        self, approval: InMemoryApproval, pid: str
    ) -> None:
        request_id = await approval.arrive()
        model = await approval.portal.view(request_id, pid, STANDARD, "nb")
        assert model.verdict.capability is Capability.ESCALATE
        assert model.may_escalate
        assert not model.may_decide

    async def test_a_stranger_is_refused(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        with pytest.raises(Refused) as refused:
            await approval.portal.view(request_id, STRANGER, STANDARD, "nb")
        assert refused.value.refusal.reason is RefusalReason.FORBIDDEN

    @pytest.mark.parametrize("request_id", ["not-a-uuid", "6c1b2a9e-0000-4000-8000-000000000000"])
    async def test_unknown_ids_are_not_found(self, approval: InMemoryApproval, request_id: str) -> None:
        with pytest.raises(Refused) as refused:
            await approval.portal.view(request_id, MANAGER, STANDARD, "nb")
        assert refused.value.refusal.code == "AUTH-00010"

    async def test_a_standard_request_is_not_found_as_an_agent_request(
        self, approval: InMemoryApproval
    ) -> None:
        request_id = await approval.arrive()
        with pytest.raises(Refused):
            await approval.portal.view(request_id, MANAGER, ev.RequestType.AGENT, "nb")


class TestDecide:
    async def test_approval_goes_through_the_worker_and_creates_the_access(
        self, approval: InMemoryApproval
    ) -> None:
        request_id = await approval.arrive()
        outcome = await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
        assert outcome is DecisionOutcome.ACCEPTED
        assert len(approval.decisions.sent) == 1
        assert approval.repository.requests[request_id].status is RequestStatus.ACCEPTED
        assert request_id in approval.repository.accesses
        assert len(approval.repository.events_of(ev.SystemAccessCreated)) == 1

    async def test_the_worker_refuses_someone_who_may_not_decide(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        with pytest.raises(Refused) as refused:
            await approval.portal.decide(
                request_id, PARTY, MANAGER_WITHOUT_RIGHT, ev.Decision.APPROVE, STANDARD
            )
        assert (refused.value.refusal.code, refused.value.refusal.reason) == (
            "AUTH-00066",
            RefusalReason.FORBIDDEN,
        )
        assert approval.repository.outbox == []

    async def test_a_wrong_party_is_refused_before_any_command(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        with pytest.raises(Refused):
            await approval.portal.decide(request_id, "313222225", MANAGER, ev.Decision.APPROVE, STANDARD)
        assert approval.decisions.sent == []

    async def test_a_second_decision_is_refused(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.REJECT, STANDARD)
        with pytest.raises(Refused) as refused:
            await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
        assert refused.value.refusal.code == "AUTH-00013"

    async def test_no_verdict_in_time_is_unavailable(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        approval.decisions.worker = None  # the worker is down: the command waits on Kafka
        with pytest.raises(Refused) as refused:
            await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
        assert refused.value.refusal.reason is RefusalReason.UNAVAILABLE


class TestRedirectTarget:
    async def test_a_registered_url_is_followed(self, approval: InMemoryApproval) -> None:
        register_system(approval, "https://smartcloud.example/receipt")
        request_id = await approval.arrive()
        assert await approval.portal.redirect_target(request_id) == "https://smartcloud.example/receipt"

    async def test_a_url_no_longer_registered_goes_to_the_logged_out_page(
        self, approval: InMemoryApproval
    ) -> None:
        register_system(approval, "https://smartcloud.example/other")
        request_id = await approval.arrive()
        assert await approval.portal.redirect_target(request_id) == LOGGED_OUT_PATH

    @pytest.mark.parametrize("request_id", ["nope", "6c1b2a9e-0000-4000-8000-000000000000"])
    async def test_unknown_requests_go_to_the_logged_out_page(
        self, approval: InMemoryApproval, request_id: str
    ) -> None:
        assert await approval.portal.redirect_target(request_id) == LOGGED_OUT_PATH


class TestNothingIsPublishedForSomeoneWhoMayNotDecide:
    @pytest.mark.parametrize(
        ("pid", "decision"),
        [
            (STRANGER, ev.Decision.ESCALATE),
            (STRANGER, ev.Decision.APPROVE),
            (EMPLOYEE, ev.Decision.APPROVE),
            (MANAGER_WITHOUT_RIGHT, ev.Decision.REJECT),
        ],
    )
    async def test_refused_before_publishing(
        self, approval: InMemoryApproval, pid: str, decision: ev.Decision
    ) -> None:
        request_id = await approval.arrive()
        with pytest.raises(Refused) as refused:
            await approval.portal.decide(request_id, PARTY, pid, decision, STANDARD)
        assert refused.value.refusal.reason is RefusalReason.FORBIDDEN
        assert approval.decisions.sent == []

    async def test_forwarding_is_published(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive()
        outcome = await approval.portal.decide(request_id, PARTY, EMPLOYEE, ev.Decision.ESCALATE, STANDARD)
        assert outcome is DecisionOutcome.ESCALATED
        assert len(approval.decisions.sent) == 1


async def test_a_broker_outage_says_the_decision_was_not_recorded(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    approval.portal.decisions = BrokenDecisions()
    with pytest.raises(Refused) as refused:
        await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
    assert refused.value.refusal.code == "DECISION-NOT-RECORDED"
    assert refused.value.refusal.reason is RefusalReason.UNAVAILABLE
    assert approval.repository.requests[request_id].status is RequestStatus.NEW


class TestARequestStillOnItsWay:
    """A vendor may send its user from its POST straight to the portal, ahead of the event."""

    async def test_a_decision_waits_for_the_request_to_arrive(self, approval: InMemoryApproval) -> None:
        approval.portal.arrival_wait = 2.0
        request_id = uuid.uuid4()

        async def arrive_later() -> None:
            await asyncio.sleep(0.15)
            await approval.arrive(request_id=request_id)

        arriving = asyncio.create_task(arrive_later())
        outcome = await approval.portal.decide(str(request_id), PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
        await arriving
        assert outcome is DecisionOutcome.ACCEPTED

    async def test_a_request_that_never_arrives_is_not_found_after_the_wait(
        self, approval: InMemoryApproval
    ) -> None:
        approval.portal.arrival_wait = 0.2
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(Refused) as refused:
            await approval.portal.decide(str(uuid.uuid4()), PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
        assert refused.value.refusal.reason is RefusalReason.NOT_FOUND
        assert 0.15 <= loop.time() - started < 1.0
        assert not approval.decisions.sent

    async def test_without_a_wait_an_unknown_request_is_not_found_at_once(
        self, approval: InMemoryApproval
    ) -> None:
        with pytest.raises(Refused) as refused:
            await approval.portal.decide(str(uuid.uuid4()), PARTY, MANAGER, ev.Decision.APPROVE, STANDARD)
        assert refused.value.refusal.reason is RefusalReason.NOT_FOUND

"""The Systemtilganger overview: which party, what waits, what is granted."""

from __future__ import annotations

import pytest

from services.approval.domain.refusals import Refused
from shared import events as ev
from tests.unit.approval.conftest import EMPLOYEE, MANAGER, MANAGER_WITHOUT_RIGHT, PARTY, InMemoryApproval

pytestmark = pytest.mark.unit


async def test_an_access_manager_sees_escalated_requests_and_accesses(approval: InMemoryApproval) -> None:
    waiting = await approval.arrive()
    await approval.portal.decide(waiting, PARTY, EMPLOYEE, ev.Decision.ESCALATE, ev.RequestType.STANDARD)
    granted = await approval.arrive()
    await approval.portal.decide(granted, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)

    view = await approval.overview.show(MANAGER, None, "nb")

    assert view.party.org_no == PARTY
    assert [row.request.id for row in view.pending] == [waiting]
    assert view.pending[0].vendor_name == "SMARTCLOUD AS"
    assert [row.access.id for row in view.own] == [granted]
    assert view.for_clients == []
    assert [r.name for r in view.own[0].rights] == ["Krav og betalinger"]
    assert view.notifications is not None
    assert view.notifications[0].id == "n1"


async def test_a_decided_escalation_leaves_the_waiting_list(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    await approval.portal.decide(request_id, PARTY, EMPLOYEE, ev.Decision.ESCALATE, ev.RequestType.STANDARD)
    await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.REJECT, ev.RequestType.STANDARD)
    assert (await approval.overview.show(MANAGER_WITHOUT_RIGHT, PARTY, "nb")).pending == []


@pytest.mark.parametrize(("pid", "party"), [(EMPLOYEE, None), (MANAGER, "313222225")])
async def test_only_an_access_manager_of_the_chosen_party_gets_an_overview(
    approval: InMemoryApproval, pid: str, party: str | None
) -> None:
    with pytest.raises(Refused):
        await approval.overview.show(pid, party, "nb")


async def test_unreadable_notifications_do_not_break_the_overview(approval: InMemoryApproval) -> None:
    approval.notifications.entries = None
    assert (await approval.overview.show(MANAGER, PARTY, "nb")).notifications is None


async def test_marking_a_notification_read_names_the_person(approval: InMemoryApproval) -> None:
    assert await approval.overview.mark_read(MANAGER, "n1")
    assert approval.notifications.read == [(MANAGER, "n1")]


async def test_own_and_client_accesses_are_listed_apart_with_names(approval: InMemoryApproval) -> None:
    own = await approval.arrive(
        packages=("urn:altinn:accesspackage:skattnaering",), rights=("app_skd_mva-melding",)
    )
    await approval.portal.decide(own, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
    agent = await approval.arrive(
        request_type=ev.RequestType.AGENT,
        rights=(),
        packages=("urn:altinn:accesspackage:regnskapsforer-lonn",),
    )
    await approval.portal.decide(agent, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.AGENT)

    view = await approval.overview.show(MANAGER, PARTY, "en")

    assert [r.access.id for r in view.own] == [own]
    assert [r.access.id for r in view.for_clients] == [agent]
    assert [r.name for r in view.own[0].rights] == ["VAT return"]
    package = view.own[0].packages[0]
    assert (package.name, package.contains) == ("Business tax", ("Claims and payments", "VAT return"))
    nynorsk = await approval.overview.show(MANAGER, PARTY, "nn")
    assert nynorsk.for_clients[0].packages[0].name == "Rekneskapsførar løn"


async def test_a_deleted_access_is_named_once_in_a_notice(approval: InMemoryApproval) -> None:
    granted = await approval.arrive()
    await approval.portal.decide(granted, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
    await approval.clients.delete(PARTY, granted, MANAGER)

    view = await approval.overview.show(MANAGER, PARTY, "nb", deleted_id=granted)
    other_party = await approval.overview.show(MANAGER, PARTY, "nb", deleted_id="no-such-access")

    assert view.own == []
    assert view.deleted is not None
    assert view.deleted.id == granted
    assert other_party.deleted is None

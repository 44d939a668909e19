"""Client administration and deletion: all-or-nothing batches, one event per actual change."""

from __future__ import annotations

import pytest

from services.approval.domain.refusals import RefusalReason, Refused
from shared import events as ev
from tests.unit.approval.conftest import (
    CLIENT_ADMIN,
    EMPLOYEE,
    FACILITATOR,
    MANAGER,
    PARTY,
    InMemoryApproval,
)

pytestmark = pytest.mark.unit
TRYGG = "311543210"  # has given FLINK every package
STILLE = "315555000"  # has given FLINK only one package
NOT_A_CLIENT = "314000110"


async def test_view_lists_addable_and_lacking_clients(approval: InMemoryApproval) -> None:
    access_id = await approval.approved_client_access()
    view = await approval.clients.view(FACILITATOR, access_id, CLIENT_ADMIN)
    addable = {c.org_no for c in view.candidates if c.addable}
    lacking = {c.org_no: c.missing_packages for c in view.candidates if not c.addable}
    assert TRYGG in addable
    assert lacking.get(STILLE)
    assert view.current == []


async def test_adding_a_client_twice_emits_one_event(approval: InMemoryApproval) -> None:
    access_id = await approval.approved_client_access()
    assert await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG]) == [TRYGG]
    assert await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG, TRYGG]) == []
    assert len(approval.repository.events_of(ev.ClientAdded)) == 1


@pytest.mark.parametrize(
    ("batch", "code"), [([TRYGG, NOT_A_CLIENT], "AUTH-00079"), ([TRYGG, STILLE], "AUTH-00080")]
)
async def test_a_batch_with_one_bad_client_changes_nothing(
    approval: InMemoryApproval, batch: list[str], code: str
) -> None:
    access_id = await approval.approved_client_access()
    with pytest.raises(Refused) as refused:
        await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, batch)
    assert refused.value.refusal.code == code
    assert refused.value.refusal.clients == (batch[1],)
    assert await approval.repository.clients_of(access_id) == []


@pytest.mark.parametrize("batch", [[], [str(n) for n in range(1001)]])
async def test_empty_and_oversized_batches_are_refused(approval: InMemoryApproval, batch: list[str]) -> None:
    access_id = await approval.approved_client_access()
    with pytest.raises(Refused) as refused:
        await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, batch)
    assert refused.value.refusal.code == "AUTH.VLD-CLIENTS"


async def test_removing_a_client_that_is_not_there_is_not_found(approval: InMemoryApproval) -> None:
    access_id = await approval.approved_client_access()
    await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG])
    with pytest.raises(Refused) as refused:
        await approval.clients.remove(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG, STILLE])
    assert refused.value.refusal.reason is RefusalReason.NOT_FOUND
    assert await approval.clients.remove(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG]) == [TRYGG]
    assert len(approval.repository.events_of(ev.ClientRemoved)) == 1


async def test_only_a_client_administrator_manages_clients(approval: InMemoryApproval) -> None:
    access_id = await approval.approved_client_access()
    with pytest.raises(Refused) as refused:
        await approval.clients.view(FACILITATOR, access_id, MANAGER)
    assert refused.value.refusal.reason is RefusalReason.FORBIDDEN


async def test_a_standard_access_has_no_clients(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
    with pytest.raises(Refused) as refused:
        await approval.clients.view(PARTY, request_id, MANAGER)
    assert refused.value.refusal.reason in (RefusalReason.FORBIDDEN, RefusalReason.NOT_FOUND)


async def test_deleting_releases_the_clients_once(approval: InMemoryApproval) -> None:
    access_id = await approval.approved_client_access()
    await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG])
    await approval.clients.delete(FACILITATOR, access_id, CLIENT_ADMIN)
    assert await approval.repository.clients_of(access_id) == []
    assert await approval.repository.accesses_of(FACILITATOR) == []
    with pytest.raises(Refused) as refused:
        await approval.clients.delete(FACILITATOR, access_id, CLIENT_ADMIN)
    assert refused.value.refusal.code == "AUTH-00015"
    assert len(approval.repository.events_of(ev.SystemAccessDeleted)) == 1


async def test_only_an_access_manager_deletes(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    await approval.portal.decide(request_id, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
    with pytest.raises(Refused) as refused:
        await approval.clients.delete(PARTY, request_id, EMPLOYEE)
    assert refused.value.refusal.reason is RefusalReason.FORBIDDEN
    assert approval.repository.events_of(ev.SystemAccessDeleted) == []

"""The portal, complete: names, package contents, history, search, pages, add all, own organisation."""

from __future__ import annotations

import pytest

from services.approval.domain.history import HistoryKind
from services.approval.domain.listing import matches, paginate
from services.approval.domain.refusals import RefusalReason, Refused
from services.approval.services.client_admin import ListPages
from shared import events as ev
from shared.world import AccessPackage, ClientRelationship, Organisation, World, load_world
from tests.unit.approval.conftest import (
    CLIENT_ADMIN,
    EMPLOYEE,
    FACILITATOR,
    MANAGER,
    PACKAGES,
    PARTY,
    InMemoryApproval,
    build_approval,
)

pytestmark = pytest.mark.unit
TRYGG = "311543210"
STILLE = "315555000"
TIGER = "310614289"


class TestListing:
    def test_pages_cut_a_list_and_clamp_the_number(self) -> None:
        page = paginate(list(range(53)), 3, 25)
        assert (page.items, page.pages, page.first, page.last) == (tuple(range(50, 53)), 3, 51, 53)
        assert paginate(list(range(53)), 99, 25).number == 3
        assert paginate([], 1, 25).pages == 1
        assert not paginate([1], 1, 25).has_next

    def test_search_needs_every_word_somewhere(self) -> None:
        assert matches("trygg", "TRYGG BAKERI AS", "311543210")
        assert matches("bakeri 3115", "TRYGG BAKERI AS", "311543210")
        assert not matches("elv", "TRYGG BAKERI AS", "311543210")
        assert matches("  ", "anything")


class TestClientPage:
    async def test_packages_by_name_with_what_they_contain(self, approval: InMemoryApproval) -> None:
        access_id = await approval.approved_client_access()
        page = await approval.clients.page(FACILITATOR, access_id, CLIENT_ADMIN, "nb")
        lonn = next(p for p in page.packages if p.id.endswith("regnskapsforer-lonn"))
        assert (lonn.name, lonn.contains) == ("Regnskapsfører lønn", ("Sykmelding",))
        lacking = page.not_addable.items[0]
        assert lacking.org_no == STILLE
        assert "Regnskapsfører med signeringsrettighet" in lacking.missing_packages

    async def test_search_filters_every_list(self, approval: InMemoryApproval) -> None:
        access_id = await approval.approved_client_access()
        page = await approval.clients.page(FACILITATOR, access_id, CLIENT_ADMIN, "nb", query="bakeri")
        assert [c.org_no for c in page.addable.items] == [TRYGG]
        assert page.not_addable.items == ()
        assert page.addable_in_all == 2  # "Legg til alle" still means all

    async def test_add_all_is_one_change_of_every_addable_client(self, approval: InMemoryApproval) -> None:
        access_id = await approval.approved_client_access()
        added = await approval.clients.add_all(FACILITATOR, access_id, CLIENT_ADMIN)
        assert sorted(added) == sorted([TRYGG, TIGER])
        assert await approval.clients.add_all(FACILITATOR, access_id, CLIENT_ADMIN) == []
        assert len(approval.repository.events_of(ev.ClientAdded)) == 2

    async def test_own_organisation_is_refused_for_client_packages(self, approval: InMemoryApproval) -> None:
        access_id = await approval.approved_client_access()
        page = await approval.clients.page(FACILITATOR, access_id, CLIENT_ADMIN, "en")
        assert page.own.not_own_packages == (
            "Accountant with signing rights",
            "Accountant payroll",
            "Responsible auditor",
        )
        assert not page.own.addable
        with pytest.raises(Refused) as refused:
            await approval.clients.add_own(FACILITATOR, access_id, CLIENT_ADMIN)
        assert refused.value.refusal.code == "AUTH-00064"
        assert await approval.repository.clients_of(access_id) == []

    async def test_own_organisation_with_assignable_packages_is_added(self) -> None:
        world = _world_with(
            packages=(AccessPackage(name="felles", title={"nb": "Felles"}, assignable=True, delegable=True),)
        )
        approval = build_approval(world)
        access_id = await _client_access(approval, ("urn:altinn:accesspackage:felles",))
        page = await approval.clients.page(FACILITATOR, access_id, CLIENT_ADMIN, "nb")
        assert page.own.addable
        assert await approval.clients.add_own(FACILITATOR, access_id, CLIENT_ADMIN) == [FACILITATOR]
        after = await approval.clients.page(FACILITATOR, access_id, CLIENT_ADMIN, "nb")
        assert after.own.added
        assert [(c.org_no, c.relation) for c in after.current.items] == [(FACILITATOR, "self")]

    async def test_long_lists_come_in_pages(self) -> None:
        extra = [f"9{n:08d}" for n in range(60)]
        world = _world_with(
            organisations=tuple(Organisation(org_no=o, name=f"KLIENT {o}") for o in extra),
            relationships=tuple(
                ClientRelationship(
                    facilitator_org_no=FACILITATOR,
                    client_org_no=o,
                    relation="regnskapsforer",
                    access_packages=tuple(p.rsplit(":", 1)[-1] for p in PACKAGES),
                )
                for o in extra
            ),
        )
        approval = build_approval(world)
        access_id = await approval.approved_client_access()
        page = await approval.clients.page(
            FACILITATOR, access_id, CLIENT_ADMIN, "nb", pages=ListPages(addable=3, size=25)
        )
        assert page.addable.total == 62
        assert (page.addable.number, page.addable.pages, len(page.addable.items)) == (3, 3, 12)
        assert await approval.clients.add_all(FACILITATOR, access_id, CLIENT_ADMIN)
        assert len(await approval.repository.clients_of(access_id)) == 62


class TestHistory:
    async def test_history_names_what_happened_and_who_did_it(self, approval: InMemoryApproval) -> None:
        access_id = await approval.arrive(
            request_type=ev.RequestType.AGENT, party=FACILITATOR, rights=(), packages=PACKAGES
        )
        await approval.portal.decide(
            access_id, FACILITATOR, CLIENT_ADMIN, ev.Decision.APPROVE, ev.RequestType.AGENT
        )
        await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG, TIGER])
        await approval.clients.remove(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG])

        view = await approval.details.show(CLIENT_ADMIN, FACILITATOR, access_id, "nb")

        assert [(line.kind, line.person) for line in view.history] == [
            (HistoryKind.REQUESTED, None),
            (HistoryKind.APPROVED, "PRESIS KALKULATOR"),
            (HistoryKind.CLIENT_ADDED, "PRESIS KALKULATOR"),
            (HistoryKind.CLIENT_ADDED, "PRESIS KALKULATOR"),
            (HistoryKind.CLIENT_REMOVED, "PRESIS KALKULATOR"),
        ]
        assert view.history[-1].client is not None
        assert view.history[-1].client.name == "TRYGG BAKERI AS"
        assert [c.org_no for c in view.clients] == [TIGER]
        assert view.may_manage_clients
        assert [p.name for p in view.packages][1] == "Regnskapsfører lønn"

    async def test_a_forward_and_a_deletion_are_in_the_history(self, approval: InMemoryApproval) -> None:
        access_id = await approval.arrive()
        await approval.portal.decide(
            access_id, PARTY, EMPLOYEE, ev.Decision.ESCALATE, ev.RequestType.STANDARD
        )
        await approval.portal.decide(access_id, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
        await approval.clients.delete(PARTY, access_id, MANAGER)

        view = await approval.details.show(MANAGER, PARTY, access_id, "en")

        assert view.access.deleted
        assert [(line.kind, line.person) for line in view.history] == [
            (HistoryKind.REQUESTED, None),
            (HistoryKind.ESCALATED, "SPRUDLENDE KANIN"),
            (HistoryKind.APPROVED, "DRESS MINST"),
            (HistoryKind.DELETED, "DRESS MINST"),
        ]
        assert [r.name for r in view.rights] == ["Claims and payments"]
        assert view.system_name == "SmartCloud"

    async def test_only_an_access_manager_of_the_party_sees_an_access(
        self, approval: InMemoryApproval
    ) -> None:
        access_id = await approval.arrive()
        await approval.portal.decide(access_id, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
        with pytest.raises(Refused) as employee:
            await approval.details.show(EMPLOYEE, PARTY, access_id, "nb")
        with pytest.raises(Refused) as elsewhere:
            await approval.details.show(CLIENT_ADMIN, FACILITATOR, access_id, "nb")
        assert employee.value.refusal.reason is RefusalReason.FORBIDDEN
        assert elsewhere.value.refusal.reason is RefusalReason.NOT_FOUND


class TestRequestPage:
    async def test_the_request_shows_the_systems_description_and_missing_names(
        self, approval: InMemoryApproval
    ) -> None:
        seed = load_world().systems[0]
        system = ev.SystemDescription(
            system_id=seed["id"],
            vendor_org_no="314000110",
            name=seed["name"],
            description=seed["description"],
        )
        await approval.projections.system_changed(ev.SystemRegistered(system=system))
        request_id = await approval.arrive()
        view = await approval.portal.view(request_id, "05816510068", ev.RequestType.STANDARD, "nn")
        assert view.system_description == "Rekneskap i skya"
        assert view.missing == ["Krav og betalingar"]


def _world_with(
    *,
    organisations: tuple[Organisation, ...] = (),
    relationships: tuple[ClientRelationship, ...] = (),
    packages: tuple[AccessPackage, ...] = (),
) -> World:
    world = load_world()
    return world.model_copy(
        update={
            "organisations": world.organisations + organisations,
            "client_relationships": world.client_relationships + relationships,
            "access_packages": world.access_packages + packages,
        }
    )


async def _client_access(approval: InMemoryApproval, packages: tuple[str, ...]) -> str:
    request_id = await approval.arrive(
        request_type=ev.RequestType.AGENT, party=FACILITATOR, rights=(), packages=packages
    )
    await approval.portal.decide(
        request_id, FACILITATOR, CLIENT_ADMIN, ev.Decision.APPROVE, ev.RequestType.AGENT
    )
    return request_id

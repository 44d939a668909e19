"""Change requests in intake: the diff rule, NoChangeNeeded, validation, statuses, the use case.

The use case runs on in-memory fakes of its ports; the rules are pure functions.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from services.request_intake.domain.accesses import SystemAccess
from services.request_intake.domain.applied import Applied
from services.request_intake.domain.change_requests import (
    ChangeRequest,
    ChangeRequestSpec,
    ChangeRequestTransition,
    ChangeSlice,
    accept_change,
    check_change,
    check_correlation,
    deny_change,
    reject_change,
    seen_change_at,
    time_out_change,
)
from services.request_intake.domain.paging import PageCursor
from services.request_intake.domain.references import AccessPackageRef
from services.request_intake.domain.refusals import Refusal, RefusalKind
from services.request_intake.domain.requests import NaturalKey
from services.request_intake.domain.systems import validate_system
from services.request_intake.services.change_requests import ChangeOutcomes, ChangeRequests
from services.request_intake.services.projections import OutcomeProjection
from shared import events as ev
from shared.access_changes import AccessChange, apply_change, change_of
from tests.unit.request_intake.fakes import (
    FLINK,
    LONN,
    RECEIPT,
    SKATT,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    FakeClock,
    Memory,
    MemoryAccessReader,
    MemoryOutcomeStore,
    MemorySystemStore,
    registered,
    right,
    world,
)

pytestmark = pytest.mark.unit

ACCESS_ID = "0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10"
CHANGE_ID = "5b1c7a0e-8d2f-4c3b-9a41-2e6f0d9c8b71"
RAPPORT = "urn:altinn:accesspackage:regnskap-okonomi-rapport"
KRAV, MVA = "ske-krav-og-betalinger", "app_skd_mva-melding"
OTHER_VENDOR = "315555000"


def access(**changes: object) -> SystemAccess:
    fields: dict[str, object] = {
        "id": ACCESS_ID,
        "request_type": ev.RequestType.STANDARD,
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "party_org_no": TIGER,
        "external_ref": TIGER,
        "integration_title": "SmartCloud",
        "rights": (KRAV,),
        "access_packages": (SKATT,),
        "created": T0,
        **changes,
    }
    return SystemAccess.model_validate(fields)


def spec(**fields: object) -> ChangeRequestSpec:
    return ChangeRequestSpec.model_validate(fields)


def description() -> ev.SystemDescription:
    return validate_system(registered().spec, SMARTCLOUD, world(), check_webhook=False)


# -- the diff ---------------------------------------------------------------------------------------


def test_the_change_adds_what_is_missing_and_removes_what_is_held() -> None:
    change = change_of(
        (KRAV,), (SKATT,), required_rights=(KRAV, MVA), unwanted_rights=("nav-sykmelding",),
        required_packages=(RAPPORT,), unwanted_packages=(SKATT,),
    )  # fmt: skip
    assert change == AccessChange(rights_added=(MVA,), packages_added=(RAPPORT,), packages_removed=(SKATT,))
    assert apply_change((KRAV,), (SKATT,), change) == ((KRAV, MVA), (RAPPORT,))


def test_required_already_held_and_unwanted_not_held_is_no_change() -> None:
    change = change_of((KRAV,), (SKATT,), required_rights=(KRAV,), unwanted_packages=(RAPPORT,))
    assert change.is_empty


def test_applying_a_change_twice_is_applying_it_once() -> None:
    change = AccessChange(rights_added=(MVA,), rights_removed=(KRAV,))
    once = apply_change((KRAV,), (SKATT,), change)
    assert apply_change(*once, change) == once == ((MVA,), (SKATT,))


# -- validation -------------------------------------------------------------------------------------


def test_the_correlation_id_must_be_a_uuid_other_than_the_system_user_id() -> None:
    assert check_correlation(CHANGE_ID.upper(), ACCESS_ID) == (CHANGE_ID, ACCESS_ID)
    for correlation, system_user in (("not-a-uuid", ACCESS_ID), (ACCESS_ID, ACCESS_ID)):
        with pytest.raises(Refusal) as refused:
            check_correlation(correlation, system_user)
        assert refused.value.kind is RefusalKind.INVALID


@pytest.mark.parametrize(
    ("body", "on", "code"),
    [
        ({"requiredRights": [right("no-such-resource")]}, access(), "AUTH-00001"),
        ({"requiredAccessPackages": [AccessPackageRef(urn=LONN)]}, access(), "AUTH-00064"),
        (
            {"requiredAccessPackages": [AccessPackageRef(urn=SKATT)]},
            access(request_type="agent"),
            "AUTH-00065",
        ),
        ({"requiredRights": [right(MVA)]}, access(request_type="agent"), "AUTH-00058"),
        ({"requiredRights": [right(MVA)], "unwantedRights": [right(MVA)]}, access(), "AUTH-00000"),
        (
            {"unwantedRights": [right(KRAV)], "unwantedAccessPackages": [AccessPackageRef(urn=SKATT)]},
            access(),
            "AUTH-00059",
        ),
        ({"requiredRights": [right(MVA)], "redirectUrl": "https://evil.example/x"}, access(), "AUTH-00021"),
    ],
    ids=[
        "right-not-in-system",
        "client-package-on-standard",
        "own-package-on-agent",
        "rights-on-agent",
        "required-and-unwanted",
        "nothing-would-remain",
        "redirect-not-allowed",
    ],
)
def test_refused_change_requests(body: dict[str, object], on: SystemAccess, code: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_change(spec(**body), on, description(), world())
    assert refused.value.code == code


def test_unwanted_items_need_not_be_the_systems_and_an_empty_redirect_is_none() -> None:
    checked = check_change(
        spec(unwantedRights=[right("never-registered")], requiredRights=[right(MVA)], redirectUrl=""),
        access(),
        description(),
        world(),
    )
    assert checked.change == AccessChange(rights_added=(MVA,))
    assert spec(redirectUrl="").redirect_url is None


# -- statuses -------------------------------------------------------------------------------------


def stored(**changes: object) -> ChangeRequest:
    fields: dict[str, object] = {
        "id": CHANGE_ID,
        "system_user_id": ACCESS_ID,
        "request_type": ev.RequestType.STANDARD,
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "party_org_no": TIGER,
        "external_ref": TIGER,
        "required_rights": (MVA,),
        "created": T0,
        "expires_at": T0 + timedelta(days=1),
        **changes,
    }
    return ChangeRequest.model_validate(fields)


def test_outcomes_move_only_a_new_change_request() -> None:
    assert accept_change(stored()).status == "Accepted"
    assert reject_change(stored()).status == "Rejected"
    assert time_out_change(stored()).status == "Timedout"
    assert reject_change(stored(status="Accepted")).status == "Accepted"
    assert time_out_change(stored(status="Rejected")).status == "Rejected"


def test_only_a_pending_change_request_is_denied_when_its_access_goes() -> None:
    assert (denied := deny_change(stored())) is not None
    assert denied.status == "Denied"
    for status in ("Accepted", "Rejected", "Timedout", "Denied"):
        assert deny_change(stored(status=status)) is None
    assert deny_change(stored(withdrawn=True)) is None


def test_an_outcome_approval_reached_before_the_deletion_replaces_denied() -> None:
    """Deletion and outcome travel on two topics; intake may read the deletion first."""
    assert accept_change(stored(status="Denied")).status == "Accepted"
    assert reject_change(stored(status="Denied")).status == "Rejected"
    assert time_out_change(stored(status="Denied")).status == "Timedout"


def test_a_new_change_request_past_its_expiry_reads_timedout() -> None:
    assert seen_change_at(stored(), T0).status == "New"
    assert seen_change_at(stored(), T0 + timedelta(days=1)).status == "Timedout"
    assert seen_change_at(stored(status="Accepted"), T0 + timedelta(days=2)).status == "Accepted"


# -- the use case, on fakes -------------------------------------------------------------------------


class MemoryChangeStore:
    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.changes = memory.change_requests

    async def create(
        self, applied: Applied[ChangeRequest, ev.SystemAccessChangeRequested]
    ) -> ChangeRequest | None:
        if applied.record.id in self.changes:
            return self.changes[applied.record.id]
        self.changes[applied.record.id] = applied.record
        self.memory.outbox.append(applied.event)
        return None

    async def get(self, change_request_id: str) -> ChangeRequest | None:
        return self.changes.get(change_request_id)

    async def find(self, key: NaturalKey) -> ChangeRequest | None:
        found = [
            c
            for c in self.changes.values()
            if (c.system_id, c.party_org_no, c.external_ref)
            == (key.system_id, key.party_org_no, key.external_ref)
        ]
        return max(found, key=lambda c: c.created) if found else None

    async def page(self, system_id: str, after: PageCursor | None, size: int) -> ChangeSlice:
        found = tuple(c for c in self.changes.values() if c.system_id == system_id and not c.withdrawn)
        return ChangeSlice(found[:size], None)

    async def withdraw(self, applied: Applied[ChangeRequest, ev.ChangeRequestWithdrawn]) -> None:
        self.changes[applied.record.id] = applied.record
        self.memory.outbox.append(applied.event)

    async def update(
        self,
        event_id: UUID,
        change_request_id: str,
        transition: ChangeRequestTransition,
        access_id: str | None = None,
        change: AccessChange | None = None,
    ) -> bool:
        if not self.memory.once(event_id):
            return False
        if change_request_id in self.changes:
            self.changes[change_request_id] = transition(self.changes[change_request_id])
        held = self.memory.accesses.get(access_id or "")
        if held is not None and change is not None:
            rights, packages = apply_change(held.rights, held.access_packages, change)
            self.memory.accesses[held.id] = held.model_copy(
                update={"rights": rights, "access_packages": packages}
            )
        return True


@pytest.fixture
def memory() -> Memory:
    memory = Memory()
    memory.systems[SYSTEM_ID] = registered()
    memory.accesses[ACCESS_ID] = access()
    return memory


def use_case(memory: Memory, clock: FakeClock) -> tuple[ChangeRequests, MemoryChangeStore]:
    store = MemoryChangeStore(memory)
    changes = ChangeRequests(
        store,
        MemoryAccessReader(memory),
        MemorySystemStore(memory),
        world(),
        ttl=timedelta(days=180),
        page_size=50,
        clock=clock,
    )
    return changes, store


ADD_MVA = {"requiredRights": [right(MVA)], "redirectUrl": RECEIPT}


async def test_a_change_request_is_stored_once_per_correlation_id(memory: Memory) -> None:
    changes, store = use_case(memory, FakeClock())
    first = await changes.open(spec(**ADD_MVA), CHANGE_ID, ACCESS_ID, SMARTCLOUD)
    again = await changes.open(
        spec(requiredRights=[right("nav-sykmelding")]), CHANGE_ID, ACCESS_ID, SMARTCLOUD
    )
    assert first.created
    assert not again.created
    assert again.change_request == first.change_request
    assert [type(e) for e in memory.outbox] == [ev.SystemAccessChangeRequested]
    event = memory.outbox[0]
    assert isinstance(event, ev.SystemAccessChangeRequested)
    assert (str(event.change_request_id), str(event.system_access_id)) == (CHANGE_ID, ACCESS_ID)
    assert event.required_rights == (MVA,)
    assert event.party_org_no == TIGER
    assert list(store.changes) == [CHANGE_ID]


async def test_nothing_to_change_answers_no_change_needed_and_stores_nothing(memory: Memory) -> None:
    changes, store = use_case(memory, FakeClock())
    opened = await changes.open(
        spec(requiredRights=[right(KRAV)], unwantedAccessPackages=[AccessPackageRef(urn=RAPPORT)]),
        CHANGE_ID,
        ACCESS_ID,
        SMARTCLOUD,
    )
    assert opened.change_request.status == "NoChangeNeeded"
    assert not opened.created
    assert store.changes == {}
    assert memory.outbox == []


async def test_another_vendors_or_a_deleted_system_user_is_not_found(memory: Memory) -> None:
    changes, _ = use_case(memory, FakeClock())
    memory.systems["315555000_other"] = registered(vendor=OTHER_VENDOR)
    with pytest.raises(Refusal) as refused:
        await changes.open(spec(**ADD_MVA), CHANGE_ID, ACCESS_ID, OTHER_VENDOR)
    assert refused.value.code == "AUTH-00015"
    memory.accesses[ACCESS_ID] = access(is_deleted=True)
    with pytest.raises(Refusal):
        await changes.open(spec(**ADD_MVA), CHANGE_ID, ACCESS_ID, SMARTCLOUD)
    assert memory.outbox == []


async def test_only_the_owning_vendor_reads_and_deletes(memory: Memory) -> None:
    changes, store = use_case(memory, FakeClock())
    await changes.open(spec(**ADD_MVA), CHANGE_ID, ACCESS_ID, SMARTCLOUD)
    for call in (changes.get(CHANGE_ID, OTHER_VENDOR), changes.withdraw(CHANGE_ID, OTHER_VENDOR)):
        with pytest.raises(Refusal) as refused:
            await call
        assert refused.value.kind is RefusalKind.NOT_FOUND
    await changes.withdraw(CHANGE_ID, SMARTCLOUD)
    assert store.changes[CHANGE_ID].withdrawn
    assert isinstance(memory.outbox[-1], ev.ChangeRequestWithdrawn)
    with pytest.raises(Refusal):
        await changes.get(CHANGE_ID, SMARTCLOUD)


async def test_approval_changes_the_mirrored_access_once(memory: Memory) -> None:
    changes, store = use_case(memory, FakeClock())
    await changes.open(spec(**ADD_MVA, unwantedRights=[right(KRAV)]), CHANGE_ID, ACCESS_ID, SMARTCLOUD)
    event = ev.SystemAccessChanged(
        change_request_id=UUID(CHANGE_ID),
        system_access_id=UUID(ACCESS_ID),
        request_type=ev.RequestType.STANDARD,
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD,
        party_org_no=TIGER,
        external_ref=TIGER,
        rights_added=(MVA,),
        rights_removed=(KRAV,),
        rights=(MVA,),
        access_packages=(SKATT,),
        changed_by="12887010186",
        changed_at=T0,
    )
    outcomes = ChangeOutcomes(store)
    assert await outcomes.access_changed(event)
    assert not await outcomes.access_changed(event)
    assert memory.accesses[ACCESS_ID].rights == (MVA,)
    assert (await changes.get(CHANGE_ID, SMARTCLOUD)).status == "Accepted"


async def test_deleting_the_access_denies_its_pending_change_request(memory: Memory) -> None:
    changes, _ = use_case(memory, FakeClock())
    await changes.open(spec(**ADD_MVA), CHANGE_ID, ACCESS_ID, SMARTCLOUD)
    deleted = ev.SystemAccessDeleted(
        system_access_id=UUID(ACCESS_ID),
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD,
        party_org_no=TIGER,
        external_ref=TIGER,
        deleted_by="12887010186",
    )
    assert await OutcomeProjection(MemoryOutcomeStore(memory)).access_deleted(deleted)
    assert (await changes.get(CHANGE_ID, SMARTCLOUD)).status == "Denied"


async def test_a_client_system_access_can_be_changed_too(memory: Memory) -> None:
    memory.accesses[ACCESS_ID] = access(
        request_type="agent", party_org_no=FLINK, rights=(), access_packages=(LONN,)
    )
    changes, _ = use_case(memory, FakeClock())
    agent_package = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"
    opened = await changes.open(
        spec(requiredAccessPackages=[AccessPackageRef(urn=agent_package)]), CHANGE_ID, ACCESS_ID, SMARTCLOUD
    )
    assert opened.created
    assert opened.change_request.request_type is ev.RequestType.AGENT
    assert opened.change_request.party_org_no == FLINK

"""The register's partial changes, change log and client ids, and the system users of a system,
as use cases over in-memory storage."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from services.request_intake.domain.accesses import SystemAccess
from services.request_intake.domain.references import AccessPackageRef
from services.request_intake.domain.refusals import Refusal, RefusalKind
from services.request_intake.domain.system_changes import ChangeType
from services.request_intake.services.accesses import SystemAccesses
from services.request_intake.services.system_register import SystemRegister
from shared import events as ev
from tests.unit.request_intake.fakes import (
    FLINK,
    PKG,
    SKATT,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    FakeClock,
    Memory,
    MemoryAccessReader,
    MemorySystemStore,
    registered,
    right,
    seeded_spec,
    world,
)

pytestmark = pytest.mark.unit

CLIENT = "smartcloud-client"


def snapshot(memory: Memory) -> tuple[object, ...]:
    """Everything a refused change must leave as it was."""
    return (
        dict(memory.systems),
        list(memory.outbox),
        dict(memory.client_id_owners),
        {k: list(v) for k, v in memory.changelogs.items()},
    )


async def refused(call: object) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await call  # type: ignore[misc]
    return caught.value


# --- change log -------------------------------------------------------------------------------


async def test_every_change_is_logged_with_who_when_and_what(
    systems: SystemRegister, memory: Memory, clock: FakeClock
) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD, CLIENT)
    clock.advance(timedelta(minutes=1))
    await systems.replace(SYSTEM_ID, seeded_spec(name={"nb": "Ny"}), SMARTCLOUD, CLIENT)
    clock.advance(timedelta(minutes=1))
    await systems.replace_rights(SYSTEM_ID, [right("nav-sykmelding")], SMARTCLOUD, CLIENT)
    clock.advance(timedelta(minutes=1))
    await systems.replace_access_packages(SYSTEM_ID, [AccessPackageRef(urn=SKATT)], SMARTCLOUD)

    log = await systems.changelog(SYSTEM_ID, SMARTCLOUD)
    assert [c.change_type for c in log] == [
        ChangeType.CREATE,
        ChangeType.UPDATE,
        ChangeType.RIGHTS_UPDATE,
        ChangeType.ACCESS_PACKAGE_UPDATE,
    ]
    assert [c.created for c in log] == [T0 + timedelta(minutes=m) for m in range(4)]
    assert {c.changed_by_org_no for c in log} == {SMARTCLOUD}
    assert [c.client_id for c in log] == [CLIENT, CLIENT, CLIENT, None]
    assert log[0].changed_data["id"] == SYSTEM_ID
    assert log[1].changed_data["name"] == {"nb": "Ny"}
    assert log[2].changed_data == [{"resource": [{"id": "urn:altinn:resource", "value": "nav-sykmelding"}]}]
    assert log[3].changed_data == [{"urn": SKATT}]
    # Each change also told the other services about the system.
    assert [type(e) for e in memory.outbox] == [
        ev.SystemRegistered,
        ev.SystemUpdated,
        ev.SystemUpdated,
        ev.SystemUpdated,
    ]


async def test_rights_and_packages_changes_keep_the_rest(systems: SystemRegister) -> None:
    before = (await systems.register(seeded_spec(), SMARTCLOUD)).system
    after = await systems.replace_rights(SYSTEM_ID, [right("nav-sykmelding")], SMARTCLOUD)
    assert after.spec.access_packages == before.spec.access_packages
    after = await systems.replace_access_packages(SYSTEM_ID, [AccessPackageRef(urn=SKATT)], SMARTCLOUD)
    assert [r.resource[0].value for r in after.spec.rights] == ["nav-sykmelding"]
    assert after.spec.access_packages == (AccessPackageRef(urn=SKATT),)
    assert (after.spec.name, after.spec.client_id) == (before.spec.name, before.spec.client_id)
    assert await systems.get(SYSTEM_ID, SMARTCLOUD) == after


async def test_delete_is_logged_too(systems: SystemRegister, memory: Memory) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    await systems.delete(SYSTEM_ID, SMARTCLOUD, CLIENT)
    assert [c.change_type for c in memory.changelogs[SYSTEM_ID]] == [ChangeType.CREATE, ChangeType.DELETE]
    # A deleted system is not found, its log included.
    assert (await refused(systems.changelog(SYSTEM_ID, SMARTCLOUD))).code == "AUTH-00011"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s.replace_rights(SYSTEM_ID, [right("unknown")], SMARTCLOUD), id="rights"),
        pytest.param(
            lambda s: s.replace_access_packages(
                SYSTEM_ID, [AccessPackageRef(urn=PKG + "eksplisitt")], SMARTCLOUD
            ),
            id="packages",
        ),
        pytest.param(lambda s: s.replace_rights(SYSTEM_ID, [], FLINK), id="other-vendor-rights"),
        pytest.param(lambda s: s.replace_access_packages(SYSTEM_ID, [], FLINK), id="other-vendor-packages"),
        pytest.param(lambda s: s.changelog(SYSTEM_ID, FLINK), id="other-vendor-log"),
        pytest.param(lambda s: s.replace_rights("314000110_nothing", [], SMARTCLOUD), id="no-system"),
    ],
)
async def test_a_refused_change_writes_nothing(
    systems: SystemRegister, memory: Memory, change: object
) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    before = snapshot(memory)
    refusal = await refused(change(systems))  # type: ignore[operator]
    assert refusal.kind in (RefusalKind.INVALID, RefusalKind.NOT_FOUND)
    assert snapshot(memory) == before


# --- client ids -------------------------------------------------------------------------------


async def test_a_client_id_of_another_system_is_refused(systems: SystemRegister, memory: Memory) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)  # clientId ["314000110"]
    before = snapshot(memory)
    other = seeded_spec(id="314000110_other", clientId=["fresh", "314000110"])
    refusal = await refused(systems.register(other, SMARTCLOUD))
    assert (refusal.kind, refusal.code) == (RefusalKind.INVALID, "AUTH.VLD-00004")
    assert "314000110" in (refusal.detail or "")
    assert snapshot(memory) == before


async def test_client_ids_are_unique_ignoring_case(systems: SystemRegister) -> None:
    await systems.register(seeded_spec(clientId=["Client-A"]), SMARTCLOUD)
    other = seeded_spec(id="314000110_other", clientId=["client-a"])
    assert (await refused(systems.register(other, SMARTCLOUD))).code == "AUTH.VLD-00004"


async def test_a_replace_may_not_take_another_systems_client_id(systems: SystemRegister) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    await systems.register(seeded_spec(id="314000110_other", clientId=["other"]), SMARTCLOUD)
    replacement = seeded_spec(id="314000110_other", clientId=["other", "314000110"])
    assert (await refused(systems.replace("314000110_other", replacement, SMARTCLOUD))).code == (
        "AUTH.VLD-00004"
    )
    # Its own client id it keeps.
    await systems.replace(
        "314000110_other", seeded_spec(id="314000110_other", clientId=["other"]), SMARTCLOUD
    )


async def test_a_client_id_is_free_again_when_dropped_or_its_system_deleted(
    systems: SystemRegister, memory: Memory
) -> None:
    await systems.register(seeded_spec(clientId=["a", "b"]), SMARTCLOUD)
    await systems.replace(SYSTEM_ID, seeded_spec(clientId=["b"]), SMARTCLOUD)
    await systems.register(seeded_spec(id="314000110_second", clientId=["a"]), SMARTCLOUD)
    await systems.delete(SYSTEM_ID, SMARTCLOUD)
    await systems.register(seeded_spec(id="314000110_third", clientId=["b"]), SMARTCLOUD)
    assert memory.client_id_owners == {"a": "314000110_second", "b": "314000110_third"}


async def test_another_vendor_cannot_use_a_taken_client_id(systems: SystemRegister) -> None:
    await systems.register(seeded_spec(clientId=["shared"]), SMARTCLOUD)
    flink = seeded_spec(id=f"{FLINK}_thing", vendor={"ID": f"0192:{FLINK}"}, clientId=["shared"])
    assert (await refused(systems.register(flink, FLINK))).code == "AUTH.VLD-00004"


# --- system users of a system -----------------------------------------------------------------


def grant(memory: Memory, number: int, *, system_id: str = SYSTEM_ID, deleted: bool = False) -> SystemAccess:
    access = SystemAccess(
        id=str(UUID(int=number)),
        request_type=ev.RequestType.STANDARD if number % 2 else ev.RequestType.AGENT,
        system_id=system_id,
        vendor_org_no=SMARTCLOUD,
        party_org_no=TIGER,
        external_ref=f"ref-{number}",
        integration_title="SmartCloud",
        created=T0 + timedelta(minutes=number),
        is_deleted=deleted,
    )
    memory.accesses[access.id] = access
    return access


@pytest.fixture
def paged(memory: Memory) -> SystemAccesses:
    memory.systems[SYSTEM_ID] = registered()
    return SystemAccesses(MemoryAccessReader(memory), MemorySystemStore(memory), world(), page_size=2)


async def test_the_system_users_come_a_page_at_a_time(paged: SystemAccesses, memory: Memory) -> None:
    live = [grant(memory, n) for n in (1, 2, 4, 5, 6)]
    grant(memory, 3, deleted=True)
    grant(memory, 7, system_id="314000110_other")
    pages, token = [], None
    while True:
        page = await paged.page(SYSTEM_ID, SMARTCLOUD, token)
        pages.append([a.id for a in page.found.accesses])
        assert page.supplier_name == "SMARTCLOUD AS"
        if page.found.next is None:
            break
        token = page.found.next.to_token()
    assert pages == [[a.id for a in live[:2]], [a.id for a in live[2:4]], [live[4].id]]


async def test_a_system_without_users_has_one_empty_page(paged: SystemAccesses) -> None:
    page = await paged.page(SYSTEM_ID, SMARTCLOUD, None)
    assert (page.found.accesses, page.found.next) == ((), None)


async def test_only_the_owning_vendor_lists_the_system_users(paged: SystemAccesses, memory: Memory) -> None:
    grant(memory, 1)
    for vendor, system_id in ((FLINK, SYSTEM_ID), (SMARTCLOUD, "314000110_nothing")):
        refusal = await refused(paged.page(system_id, vendor, None))
        assert (refusal.kind, refusal.code) == (RefusalKind.NOT_FOUND, "AUTH-00011")


@pytest.mark.parametrize("token", ["%%%", "bm90LWEtY3Vyc29y", ""])
async def test_a_bad_continuation_token_is_refused(paged: SystemAccesses, token: str) -> None:
    if not token:
        # An empty token is the first page (as for the request lists).
        assert (await paged.page(SYSTEM_ID, SMARTCLOUD, token)).found.next is None
        return
    refusal = await refused(paged.page(SYSTEM_ID, SMARTCLOUD, token))
    assert (refusal.kind, refusal.code) == (RefusalKind.INVALID, "AUTH.VLD-TOKEN")

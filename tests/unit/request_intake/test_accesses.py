"""SystemAccesses: a vendor's lookups of the accesses parties granted, with in-memory storage."""

from __future__ import annotations

import pytest

from services.request_intake.domain.accesses import Client, access_from_event, mark_deleted
from services.request_intake.domain.refusals import Refusal, RefusalKind
from services.request_intake.domain.requests import AccessRequest, NaturalKey
from services.request_intake.services.accesses import SystemAccesses
from shared import events as ev
from tests.unit.request_intake.fakes import (
    FLINK,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    Memory,
    access_created,
    registered,
    seeded_spec,
)

pytestmark = pytest.mark.unit

ACCESS_ID = "0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10"
KEY = NaturalKey(SYSTEM_ID, TIGER, "ref-1")


def store_access(memory: Memory, system_id: str = SYSTEM_ID, vendor: str = SMARTCLOUD) -> NaturalKey:
    """An access as the approval service's SystemAccessCreated leaves it."""
    request = AccessRequest(
        id=ACCESS_ID,
        request_type=ev.RequestType.AGENT,
        system_id=system_id,
        vendor_org_no=vendor,
        party_org_no=TIGER,
        external_ref="ref-1",
        integration_title="SmartCloud",
        created=T0,
        expires_at=T0,
    )
    access = access_from_event(access_created(request))
    memory.accesses[ACCESS_ID] = access
    memory.live_access[access.natural_key] = ACCESS_ID
    return access.natural_key


async def test_find_names_the_supplier(accesses: SystemAccesses, memory: Memory) -> None:
    store_access(memory)
    found = await accesses.find(KEY, SMARTCLOUD)
    assert found.access == memory.accesses[ACCESS_ID]
    assert found.supplier_name == "SMARTCLOUD AS"


async def test_an_unseeded_vendor_is_named_by_its_org_no(accesses: SystemAccesses, memory: Memory) -> None:
    unseeded = "310000000"
    system_id = f"{unseeded}_thing"
    memory.systems[system_id] = registered(seeded_spec(id=system_id), vendor=unseeded)
    key = store_access(memory, system_id, unseeded)
    assert (await accesses.find(key, unseeded)).supplier_name == unseeded


async def test_find_without_an_access_is_not_found(accesses: SystemAccesses) -> None:
    with pytest.raises(Refusal) as refused:
        await accesses.find(KEY, SMARTCLOUD)
    assert (refused.value.kind, refused.value.code) == (RefusalKind.NOT_FOUND, "AUTH-00015")


async def test_find_on_another_vendors_system_is_not_found(accesses: SystemAccesses, memory: Memory) -> None:
    store_access(memory)
    with pytest.raises(Refusal) as refused:
        await accesses.find(KEY, FLINK)
    assert refused.value.code == "AUTH-00011"


async def test_clients_are_named_from_the_seed_file(accesses: SystemAccesses, memory: Memory) -> None:
    store_access(memory)
    memory.clients[ACCESS_ID] = {"311543210", "310000000"}
    assert await accesses.clients(ACCESS_ID, SMARTCLOUD) == [
        Client("310000000", None),
        Client("311543210", "TRYGG BAKERI AS"),
    ]


@pytest.mark.parametrize("case", ["missing", "other-vendor", "deleted"])
async def test_clients_of_an_access_the_vendor_cannot_see(
    case: str, accesses: SystemAccesses, memory: Memory
) -> None:
    if case != "missing":
        store_access(memory)
    if case == "deleted":
        memory.accesses[ACCESS_ID] = mark_deleted(memory.accesses[ACCESS_ID])
    vendor = FLINK if case == "other-vendor" else SMARTCLOUD
    with pytest.raises(Refusal) as refused:
        await accesses.clients(ACCESS_ID, vendor)
    assert refused.value.code == "AUTH-00015"

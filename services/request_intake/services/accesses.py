"""Use cases of system accesses: a vendor looks up the access a party granted, its clients, and
lists the accesses of one of its systems."""

from __future__ import annotations

from dataclasses import dataclass

from shared.world import World

from ..domain.accesses import Client, SystemAccess, access_not_found, vendors_access
from ..domain.paging import AccessSlice, PageCursor
from ..domain.requests import NaturalKey
from ..domain.systems import owned_system
from .ports import AccessReader, SystemStore

__all__ = ["AccessPage", "FoundAccess", "SystemAccesses"]


@dataclass(frozen=True, slots=True)
class FoundAccess:
    """An access, with the vendor's name as the seed file knows it (else its organisation number)."""

    access: SystemAccess
    supplier_name: str


@dataclass(frozen=True, slots=True)
class AccessPage:
    """One page of a system's accesses, with the vendor's name (as in ``FoundAccess``)."""

    found: AccessSlice
    supplier_name: str


class SystemAccesses:
    """The accesses parties granted to a vendor's systems (Altinn's "system users")."""

    def __init__(
        self, accesses: AccessReader, systems: SystemStore, world: World, *, page_size: int = 50
    ) -> None:
        self._accesses = accesses
        self._systems = systems
        self._world = world
        self._page_size = page_size

    async def find(self, key: NaturalKey, vendor_org: str) -> FoundAccess:
        system = owned_system(await self._systems.get(key.system_id), key.system_id, vendor_org)
        access = await self._accesses.find_access(key)
        if access is None:
            raise access_not_found()
        return FoundAccess(access, self._supplier_name(system.vendor_org_no))

    async def page(self, system_id: str, vendor_org: str, token: str | None) -> AccessPage:
        """One page of the live accesses of the vendor's system (Altinn's ``systemuser/vendor/
        bysystem``); ``token`` is the continuation token of the previous page."""
        system = owned_system(await self._systems.get(system_id), system_id, vendor_org)
        after = PageCursor.from_token(token) if token else None
        found = await self._accesses.page_by_system(system.id, after, self._page_size)
        return AccessPage(found, self._supplier_name(system.vendor_org_no))

    def _supplier_name(self, vendor_org: str) -> str:
        vendor = self._world.organisation(vendor_org)
        return vendor.name if vendor else vendor_org

    async def clients(self, access_id: str, vendor_org: str) -> list[Client]:
        access = vendors_access(await self._accesses.get_access(access_id), vendor_org)
        return [self._client(org_no) for org_no in await self._accesses.clients_of(access.id)]

    def _client(self, org_no: str) -> Client:
        organisation = self._world.organisation(org_no)
        return Client(org_no, organisation.name if organisation else None)

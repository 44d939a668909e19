"""One system access in full: its rights, packages and clients by name, and its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.deletion import NOT_FOUND
from ..domain.directory import Party
from ..domain.history import HistoryEntry, HistoryKind
from ..domain.models import SystemAccess
from ..domain.refusals import Refused
from .client_admin import ClientRow
from .naming import NamedItem, Names, pick
from .overview import NOT_MANAGER
from .ports import AccessRepository, Directory, HistoryRepository, RequestRepository, SystemRepository

__all__ = ["AccessDetailModel", "AccessDetails", "HistoryLine"]


@dataclass(frozen=True)
class HistoryLine:
    """One history entry as a page shows it: people and clients by name, rights and packages by name."""

    kind: HistoryKind
    at: datetime
    person: str | None  # the actor's name; None when the directory does not know the person
    client: ClientRow | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessDetailModel:
    party: Party
    access: SystemAccess
    vendor_name: str
    system_name: str
    rights: list[NamedItem]
    packages: list[NamedItem]
    clients: list[ClientRow]
    history: list[HistoryLine]  # oldest first
    may_manage_clients: bool


class AccessDetails:
    def __init__(
        self,
        accesses: AccessRepository,
        history: HistoryRepository,
        requests: RequestRepository,
        systems: SystemRepository,
        directory: Directory,
        names: Names,
    ) -> None:
        self.accesses = accesses
        self.history = history
        self.requests = requests
        self.systems = systems
        self.directory = directory
        self.names = names

    async def show(self, pid: str, party_org_no: str, access_id: str, lang: str) -> AccessDetailModel:
        """For an access manager of the access's own party; a deleted access still shows its history."""
        relation = await self.directory.relation(pid, party_org_no)
        if relation is None or not relation.is_access_manager:
            raise Refused(NOT_MANAGER)
        access = await self.accesses.get_access(access_id)
        if access is None or access.party_org_no != party_org_no:
            raise Refused(NOT_FOUND)
        clients = [await self._client(o) for o in await self.accesses.clients_of(access_id)]
        entries = await self.history.history_of(access_id) or _history_from_record(access)
        return AccessDetailModel(
            party=Party(party_org_no, await self.directory.org_name(party_org_no)),
            access=access,
            vendor_name=await self.directory.org_name(access.vendor_org_no),
            system_name=await self._system_name(access, lang),
            rights=[self.names.right_item(r, lang) for r in access.rights],
            packages=[self.names.package_item(p, lang) for p in access.access_packages],
            clients=sorted(clients, key=lambda c: (c.name.casefold(), c.org_no)),
            history=[await self._line(e, lang) for e in entries],
            may_manage_clients=access.is_client_access and not access.deleted and relation.is_client_admin,
        )

    async def _client(self, org_no: str) -> ClientRow:
        return ClientRow(org_no, await self.directory.org_name(org_no))

    async def _system_name(self, access: SystemAccess, lang: str) -> str:
        system = await self.systems.get_system(access.system_id)
        if system is not None and system.name:
            return pick(system.name, lang)
        request = await self.requests.get_request(access.id)
        return (pick(request.system_name, lang) if request else "") or access.system_id

    async def _line(self, entry: HistoryEntry, lang: str) -> HistoryLine:
        person = await self.directory.person(entry.actor_pid) if entry.actor_pid else None
        return HistoryLine(
            kind=entry.kind,
            at=entry.at,
            person=person.name if person else None,
            client=await self._client(entry.client_org_no) if entry.client_org_no else None,
            added=tuple(self.names.resource(r, lang) for r in entry.rights_added)
            + tuple(self.names.package(p, lang) for p in entry.packages_added),
            removed=tuple(self.names.resource(r, lang) for r in entry.rights_removed)
            + tuple(self.names.package(p, lang) for p in entry.packages_removed),
        )


def _history_from_record(access: SystemAccess) -> list[HistoryEntry]:
    """An access approved before histories were kept: what its own record tells."""
    entries = [
        HistoryEntry(kind=HistoryKind.APPROVED, at=access.created, event_id="", actor_pid=access.created_by)
    ]
    if access.deleted:
        at = access.deleted_at or access.created
        entries.append(
            HistoryEntry(kind=HistoryKind.DELETED, at=at, event_id="", actor_pid=access.deleted_by)
        )
    return entries

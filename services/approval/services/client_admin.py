"""Use cases of client administration and deletion: who may, and what changes."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.clients import (
    OWN_ORGANISATION,
    Candidate,
    batch,
    candidates,
    change_clients,
    check_clients,
    check_own,
    not_current,
    own_organisation,
)
from ..domain.deletion import NOT_FOUND, delete_access, may_delete
from ..domain.listing import DEFAULT_PAGE_SIZE, Page, matches, paginate
from ..domain.models import SystemAccess
from ..domain.refusals import Refusal, RefusalReason, Refused
from .naming import NamedItem, Names
from .ports import AccessRepository, Directory

__all__ = [
    "ClientAdministration",
    "ClientPageModel",
    "ClientRow",
    "ClientView",
    "ListPages",
    "OwnOrganisation",
]


@dataclass(frozen=True)
class ClientView:
    access: SystemAccess
    candidates: list[Candidate]
    current: list[str]

    @property
    def org_nos(self) -> list[str]:
        """Every organisation the view names: candidates and current clients."""
        return list(dict.fromkeys([c.org_no for c in self.candidates] + self.current))


@dataclass(frozen=True)
class ClientRow:
    """One organisation on the client page, by name; missing packages by name in the page's language."""

    org_no: str
    name: str
    relation: str = ""
    missing_packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class OwnOrganisation:
    """The facilitator itself as a client ("Legg til egen virksomhet")."""

    org_no: str
    name: str
    added: bool
    not_own_packages: tuple[str, ...]  # names of the client packages it cannot give itself
    may_add: bool  # the person is an access manager of the facilitator

    @property
    def addable(self) -> bool:
        return self.may_add and not self.added and not self.not_own_packages


@dataclass(frozen=True)
class ListPages:
    """Which page of each of the client page's three lists to show, and how long pages are."""

    current: int = 1
    addable: int = 1
    not_addable: int = 1
    size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class ClientPageModel:
    access: SystemAccess
    packages: list[NamedItem]
    query: str
    current: Page[ClientRow]
    addable: Page[ClientRow]
    not_addable: Page[ClientRow]
    addable_in_all: int  # what "Legg til alle" adds: every addable client, whatever the search
    own: OwnOrganisation


class ClientAdministration:
    def __init__(self, accesses: AccessRepository, directory: Directory, names: Names) -> None:
        self.accesses = accesses
        self.directory = directory
        self.names = names

    async def view(self, facilitator: str, access_id: str, pid: str) -> ClientView:
        access = await self._client_access(facilitator, access_id, pid)
        relationships = await self.directory.client_relationships(facilitator)
        return ClientView(
            access,
            candidates(access.access_packages, relationships),
            await self.accesses.clients_of(access_id),
        )

    async def page(
        self,
        facilitator: str,
        access_id: str,
        pid: str,
        lang: str,
        query: str = "",
        pages: ListPages = ListPages(),
    ) -> ClientPageModel:
        """The client page: the three lists searched by name or number and cut into pages."""
        view = await self.view(facilitator, access_id, pid)
        names = {org_no: await self.directory.org_name(org_no) for org_no in [*view.org_nos, facilitator]}
        current = set(view.current)

        def row(org_no: str, relation: str = "", missing: tuple[str, ...] = ()) -> ClientRow:
            packages = tuple(self.names.package(p, lang) for p in missing)
            return ClientRow(org_no, names[org_no], relation, packages)

        def listed(rows: list[ClientRow]) -> list[ClientRow]:
            found = [r for r in rows if matches(query, r.name, r.org_no)]
            return sorted(found, key=lambda r: (r.name.casefold(), r.org_no))

        own_candidate = own_organisation(facilitator, view.access.access_packages, self.names.assignable())
        relation = await self.directory.relation(pid, facilitator)
        addable = [
            row(c.org_no, c.relation) for c in view.candidates if c.addable and c.org_no not in current
        ]
        lacking = [
            row(c.org_no, c.relation, c.missing_packages)
            for c in view.candidates
            if not c.addable and c.org_no not in current
        ]
        present = [row(o, self._relation_of(o, view, facilitator)) for o in view.current]
        return ClientPageModel(
            access=view.access,
            packages=[self.names.package_item(p, lang) for p in view.access.access_packages],
            query=query,
            current=paginate(listed(present), pages.current, pages.size),
            addable=paginate(listed(addable), pages.addable, pages.size),
            not_addable=paginate(listed(lacking), pages.not_addable, pages.size),
            addable_in_all=len(addable),
            own=OwnOrganisation(
                org_no=facilitator,
                name=names[facilitator],
                added=facilitator in current,
                not_own_packages=tuple(self.names.package(p, lang) for p in own_candidate.missing_packages),
                may_add=relation is not None and relation.is_access_manager,
            ),
        )

    async def add(self, facilitator: str, access_id: str, pid: str, org_nos: list[str]) -> list[str]:
        access = await self._client_access(facilitator, access_id, pid)
        wanted = _checked(batch(org_nos))
        relationships = await self.directory.client_relationships(facilitator)
        _raise(check_clients(wanted, access.access_packages, relationships))
        return await self._add(access_id, wanted, pid)

    async def add_all(self, facilitator: str, access_id: str, pid: str) -> list[str]:
        """Every client that can be added and is not yet, in one change (one transaction, one call)."""
        view = await self.view(facilitator, access_id, pid)
        current = set(view.current)
        wanted = [c.org_no for c in view.candidates if c.addable and c.org_no not in current]
        return await self._add(access_id, wanted, pid) if wanted else []

    async def add_own(self, facilitator: str, access_id: str, pid: str) -> list[str]:
        """The facilitator as its own client, with its own packages (Altinn's ``self``)."""
        access = await self._client_access(facilitator, access_id, pid)
        candidate = own_organisation(facilitator, access.access_packages, self.names.assignable())
        _raise(check_own(candidate, await self.directory.relation(pid, facilitator)))
        return await self._add(access_id, [facilitator], pid)

    async def remove(self, facilitator: str, access_id: str, pid: str, org_nos: list[str]) -> list[str]:
        await self._client_access(facilitator, access_id, pid)
        wanted = _checked(batch(org_nos))
        _raise(not_current(wanted, frozenset(await self.accesses.clients_of(access_id))))
        changes = await self.accesses.change_clients(
            access_id, lambda a, current: change_clients(a, current, add=[], remove=wanted, actor_pid=pid)
        )
        return list(changes.removed)

    async def delete(self, party: str, access_id: str, pid: str) -> None:
        _raise(may_delete(await self.directory.relation(pid, party)))
        outcome = await self.accesses.delete_access(access_id, lambda a: delete_access(a, party, pid))
        if isinstance(outcome, Refusal):
            raise Refused(outcome)

    async def _add(self, access_id: str, wanted: list[str], pid: str) -> list[str]:
        changes = await self.accesses.change_clients(
            access_id, lambda a, current: change_clients(a, current, add=wanted, remove=[], actor_pid=pid)
        )
        return list(changes.added)

    @staticmethod
    def _relation_of(org_no: str, view: ClientView, facilitator: str) -> str:
        if org_no == facilitator:
            return OWN_ORGANISATION
        return next((c.relation for c in view.candidates if c.org_no == org_no), "")

    async def _client_access(self, facilitator: str, access_id: str, pid: str) -> SystemAccess:
        relation = await self.directory.relation(pid, facilitator)
        if relation is None or not relation.is_client_admin:
            detail = "Only a client administrator of the facilitator may manage clients"
            raise Refused(Refusal("AUTH-00066", detail, RefusalReason.FORBIDDEN, title="Forbidden"))
        access = await self.accesses.get_access(access_id)
        if (
            access is None
            or access.deleted
            or access.party_org_no != facilitator
            or not access.is_client_access
        ):
            raise Refused(NOT_FOUND)
        return access


def _checked(wanted: list[str] | Refusal) -> list[str]:
    if isinstance(wanted, Refusal):
        raise Refused(wanted)
    return wanted


def _raise(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise Refused(refusal)

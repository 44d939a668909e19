"""Use cases of client administration and deletion: who may, and what changes."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.clients import Candidate, batch, candidates, change_clients, check_clients, not_current
from ..domain.deletion import NOT_FOUND, delete_access, may_delete
from ..domain.models import SystemAccess
from ..domain.refusals import Refusal, RefusalReason, Refused
from .ports import AccessRepository, Directory

__all__ = ["ClientAdministration", "ClientView"]


@dataclass(frozen=True)
class ClientView:
    access: SystemAccess
    candidates: list[Candidate]
    current: list[str]

    @property
    def org_nos(self) -> list[str]:
        """Every organisation the view names: candidates and current clients."""
        return list(dict.fromkeys([c.org_no for c in self.candidates] + self.current))


class ClientAdministration:
    def __init__(self, accesses: AccessRepository, directory: Directory) -> None:
        self.accesses = accesses
        self.directory = directory

    async def view(self, facilitator: str, access_id: str, pid: str) -> ClientView:
        access = await self._client_access(facilitator, access_id, pid)
        relationships = await self.directory.client_relationships(facilitator)
        return ClientView(
            access,
            candidates(access.access_packages, relationships),
            await self.accesses.clients_of(access_id),
        )

    async def add(self, facilitator: str, access_id: str, pid: str, org_nos: list[str]) -> list[str]:
        access = await self._client_access(facilitator, access_id, pid)
        wanted = _checked(batch(org_nos))
        relationships = await self.directory.client_relationships(facilitator)
        _raise(check_clients(wanted, access.access_packages, relationships))
        changes = await self.accesses.change_clients(
            access_id, lambda a, current: change_clients(a, current, add=wanted, remove=[], actor_pid=pid)
        )
        return list(changes.added)

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

"""Use cases of client administration and deletion: who may, and what changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.problems import Problem

from .clients import Candidate, candidates, check_clients
from .directory import Directory
from .store import ApprovalStore


@dataclass(frozen=True)
class ClientView:
    access: dict[str, Any]
    candidates: list[Candidate]
    current: list[str]


MAX_BATCH = 1000


class ClientAdministration:
    def __init__(self, store: ApprovalStore, directory: Directory) -> None:
        self.store = store
        self.directory = directory

    async def view(self, facilitator: str, access_id: str, pid: str) -> ClientView:
        access = await self._client_access(facilitator, access_id, pid)
        relationships = await self.directory.client_relationships(facilitator)
        return ClientView(
            access,
            candidates(tuple(access["accessPackages"]), relationships),
            await self.store.clients_of(access_id),
        )

    async def add(self, facilitator: str, access_id: str, pid: str, org_nos: list[str]) -> list[str]:
        access = await self._client_access(facilitator, access_id, pid)
        wanted = _batch(org_nos)
        refusal = check_clients(
            wanted, tuple(access["accessPackages"]), await self.directory.client_relationships(facilitator)
        )
        if refusal is not None:
            raise Problem(
                400,
                "Client cannot be added",
                refusal.detail,
                code=refusal.code,
                clients=list(refusal.org_nos),
            )
        added, _ = await self.store.change_clients(access_id, add=wanted, remove=[], actor_pid=pid)
        return added

    async def remove(self, facilitator: str, access_id: str, pid: str, org_nos: list[str]) -> list[str]:
        await self._client_access(facilitator, access_id, pid)
        wanted = _batch(org_nos)
        current = set(await self.store.clients_of(access_id))
        unknown = [org for org in wanted if org not in current]
        if unknown:
            raise Problem(
                404,
                "Client not found",
                f"Not a client of this system access: {', '.join(unknown)}",
                code="AUTH-00079",
                clients=unknown,
            )
        _, removed = await self.store.change_clients(access_id, add=[], remove=wanted, actor_pid=pid)
        return removed

    async def delete(self, party: str, access_id: str, pid: str) -> None:
        relation = await self.directory.relation(pid, party)
        if relation is None or not relation.is_access_manager:
            raise Problem(
                403, "Forbidden", "Only an access manager of the organisation may delete", code="AUTH-00066"
            )
        access = await self.store.get_access(access_id)
        if access is None or access.get("deleted") or access["partyOrgNo"] != party:
            raise Problem(404, "System user not found", code="AUTH-00015")
        if not await self.store.delete_access(access_id, party, pid):
            raise Problem(404, "System user not found", code="AUTH-00015")

    async def _client_access(self, facilitator: str, access_id: str, pid: str) -> dict[str, Any]:
        relation = await self.directory.relation(pid, facilitator)
        if relation is None or not relation.is_client_admin:
            raise Problem(
                403,
                "Forbidden",
                "Only a client administrator of the facilitator may manage clients",
                code="AUTH-00066",
            )
        access = await self.store.get_access(access_id)
        if (
            access is None
            or access.get("deleted")
            or access["partyOrgNo"] != facilitator
            or access["requestType"] != "agent"
        ):
            raise Problem(404, "System user not found", code="AUTH-00015")
        return access


def _batch(org_nos: list[str]) -> list[str]:
    unique = list(dict.fromkeys(org_nos))
    if not unique:
        raise Problem(400, "No clients given", code="AUTH.VLD-CLIENTS")
    if len(unique) > MAX_BATCH:
        raise Problem(400, "Too many clients", f"At most {MAX_BATCH} in one call", code="AUTH.VLD-CLIENTS")
    return unique

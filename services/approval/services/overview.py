"""The "Systemtilganger" overview: an access manager's organisations, waiting requests and accesses."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.directory import Notification, Party
from ..domain.models import RequestStatus, SystemAccess, SystemAccessRequest
from ..domain.refusals import Refusal, RefusalReason, Refused
from .naming import NamedItem, Names
from .ports import AccessRepository, Directory, NotificationInbox, RequestRepository

__all__ = ["AccessRow", "Overview", "OverviewModel", "PendingRow"]


@dataclass(frozen=True)
class PendingRow:
    request: SystemAccessRequest
    vendor_name: str


@dataclass(frozen=True)
class AccessRow:
    access: SystemAccess
    vendor_name: str
    rights: list[NamedItem]
    packages: list[NamedItem]


@dataclass(frozen=True)
class OverviewModel:
    parties: list[Party]
    party: Party
    pending: list[PendingRow]
    own: list[AccessRow]  # "Egne systemtilganger": the party's standard system accesses
    for_clients: list[AccessRow]  # "Systemtilganger for klienter": its client system accesses
    notifications: list[Notification] | None
    deleted: SystemAccess | None = None  # the access just deleted from this overview, for a notice


NOT_MANAGER = Refusal("AUTH-00066", reason=RefusalReason.FORBIDDEN, title="Forbidden")


class Overview:
    def __init__(
        self,
        requests: RequestRepository,
        accesses: AccessRepository,
        directory: Directory,
        notifications: NotificationInbox,
        names: Names,
    ) -> None:
        self.requests = requests
        self.accesses = accesses
        self.directory = directory
        self.notifications = notifications
        self.names = names

    async def managed_parties(self, pid: str) -> list[Party]:
        managed = []
        for party in await self.directory.parties(pid):
            relation = await self.directory.relation(pid, party.org_no)
            if relation is not None and relation.is_access_manager:
                managed.append(party)
        return managed

    async def show(
        self, pid: str, party_org_no: str | None, lang: str, deleted_id: str | None = None
    ) -> OverviewModel:
        """The overview of the chosen party (the first managed one when none is chosen)."""
        managed = await self.managed_parties(pid)
        chosen = next((p for p in managed if p.org_no == party_org_no), None)
        if chosen is None and party_org_no is None and managed:
            chosen = managed[0]
        if chosen is None:
            raise Refused(NOT_MANAGER)
        pending = [
            PendingRow(r, await self.directory.org_name(r.vendor_org_no))
            for r in await self.requests.pending_escalated(chosen.org_no)
            if r.status is RequestStatus.NEW
        ]
        rows = [
            AccessRow(
                a,
                await self.directory.org_name(a.vendor_org_no),
                [self.names.right_item(r, lang) for r in a.rights],
                [self.names.package_item(p, lang) for p in a.access_packages],
            )
            for a in await self.accesses.accesses_of(chosen.org_no)
        ]
        deleted = await self.accesses.get_access(deleted_id) if deleted_id else None
        if deleted is not None and not (deleted.deleted and deleted.party_org_no == chosen.org_no):
            deleted = None
        return OverviewModel(
            parties=managed,
            party=chosen,
            pending=pending,
            own=[r for r in rows if not r.access.is_client_access],
            for_clients=[r for r in rows if r.access.is_client_access],
            notifications=await self.notifications.items(pid),
            deleted=deleted,
        )

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        return await self.notifications.mark_read(pid, notification_id)

"""The "Systemtilganger" overview: an access manager's organisations, waiting requests and accesses."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.directory import Notification, Party
from ..domain.models import RequestStatus, SystemAccess, SystemAccessRequest
from ..domain.refusals import Refusal, RefusalReason, Refused
from .naming import Names
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
    package_names: list[str]


@dataclass(frozen=True)
class OverviewModel:
    parties: list[Party]
    party: Party
    pending: list[PendingRow]
    accesses: list[AccessRow]
    notifications: list[Notification] | None


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

    async def show(self, pid: str, party_org_no: str | None, lang: str) -> OverviewModel:
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
        accesses = [
            AccessRow(
                a,
                await self.directory.org_name(a.vendor_org_no),
                [self.names.package(p, lang) for p in a.access_packages],
            )
            for a in await self.accesses.accesses_of(chosen.org_no)
        ]
        notifications = await self.notifications.items(pid)
        return OverviewModel(managed, chosen, pending, accesses, notifications)

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        return await self.notifications.mark_read(pid, notification_id)

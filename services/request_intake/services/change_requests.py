"""Use cases of change requests: a vendor asks, reads, lists and deletes; outcomes are mirrored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared import events as ev
from shared.access_changes import AccessChange
from shared.world import World

from ..domain.accesses import vendors_access
from ..domain.change_requests import (
    ChangeRequest,
    ChangeRequestSpec,
    ChangeSlice,
    accept_change,
    change_withdrawal,
    check_change,
    check_correlation,
    new_change_request,
    no_change_needed,
    reject_change,
    seen_change_at,
    time_out_change,
    visible_change_request,
)
from ..domain.paging import PageCursor
from ..domain.requests import NaturalKey
from ..domain.systems import owned_system, validate_system
from .ports import AccessReader, ChangeRequestStore, Clock, SystemStore, utc_now

__all__ = ["ChangeOutcomes", "ChangeRequests", "OpenedChange"]


@dataclass(frozen=True, slots=True)
class OpenedChange:
    """The answer to a POST: the change request, and whether this call stored it."""

    change_request: ChangeRequest
    created: bool


class ChangeRequests:
    """A vendor's change requests. Every one returned is as the vendor sees it now."""

    def __init__(
        self,
        changes: ChangeRequestStore,
        accesses: AccessReader,
        systems: SystemStore,
        world: World,
        *,
        ttl: timedelta,
        page_size: int,
        clock: Clock = utc_now,
    ) -> None:
        self._changes = changes
        self._accesses = accesses
        self._systems = systems
        self._world = world
        self._ttl = ttl
        self._page_size = page_size
        self._clock = clock

    async def open(
        self, spec: ChangeRequestSpec, correlation_id: str, system_user_id: str, vendor_org: str
    ) -> OpenedChange:
        """Store a change request, answer with the one stored under the same correlation id, or
        answer NoChangeNeeded (stored nowhere) when the access already is as asked."""
        change_id, access_id = check_correlation(correlation_id, system_user_id)
        existing = await self._changes.get(change_id)
        if existing is not None:
            return OpenedChange(self._seen(visible_change_request(existing, vendor_org)), created=False)
        access = vendors_access(await self._accesses.get_access(access_id), vendor_org)
        system = owned_system(await self._systems.get(access.system_id), access.system_id, vendor_org)
        description = validate_system(system.spec, vendor_org, self._world, check_webhook=False)
        checked = check_change(spec, access, description, self._world)
        now = self._clock()
        if checked.change.is_empty:
            return OpenedChange(no_change_needed(change_id, access, checked, spec, now), created=False)
        applied = new_change_request(change_id, access, checked, spec, description, now=now, ttl=self._ttl)
        raced = await self._changes.create(applied)
        if raced is not None:
            return OpenedChange(self._seen(visible_change_request(raced, vendor_org)), created=False)
        return OpenedChange(self._seen(applied.record), created=True)

    async def get(self, change_request_id: str, vendor_org: str) -> ChangeRequest:
        return self._seen(visible_change_request(await self._changes.get(change_request_id), vendor_org))

    async def find(self, key: NaturalKey, vendor_org: str) -> ChangeRequest:
        """The latest change request of the access under the vendor's key (system, party, reference)."""
        owned_system(await self._systems.get(key.system_id), key.system_id, vendor_org)
        return self._seen(visible_change_request(await self._changes.find(key), vendor_org))

    async def page(self, system_id: str, vendor_org: str, token: str | None) -> ChangeSlice:
        owned_system(await self._systems.get(system_id), system_id, vendor_org)
        after = PageCursor.from_token(token) if token else None
        found = await self._changes.page(system_id, after, self._page_size)
        return ChangeSlice(tuple(self._seen(c) for c in found.change_requests), found.next)

    async def withdraw(self, change_request_id: str, vendor_org: str) -> None:
        await self._changes.withdraw(
            change_withdrawal(await self._changes.get(change_request_id), vendor_org)
        )

    def _seen(self, change: ChangeRequest) -> ChangeRequest:
        return seen_change_at(change, self._clock())


class ChangeOutcomes:
    """Applies the approval service's change-request outcomes; False for a repeated event."""

    def __init__(self, changes: ChangeRequestStore) -> None:
        self._changes = changes

    async def access_changed(self, event: ev.SystemAccessChanged) -> bool:
        change = AccessChange(
            rights_added=event.rights_added,
            rights_removed=event.rights_removed,
            packages_added=event.access_packages_added,
            packages_removed=event.access_packages_removed,
        )
        return await self._changes.update(
            event.event_id, str(event.change_request_id), accept_change, str(event.system_access_id), change
        )

    async def change_rejected(self, event: ev.SystemAccessChangeRejected) -> bool:
        return await self._changes.update(event.event_id, str(event.change_request_id), reject_change)

    async def change_timed_out(self, event: ev.ChangeRequestTimedOut) -> bool:
        return await self._changes.update(event.event_id, str(event.change_request_id), time_out_change)

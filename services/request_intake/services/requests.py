"""Use cases of access requests: a vendor opens, reads, lists and withdraws its requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from shared import events as ev
from shared.world import World

from ..domain.duplicates import CreateNew, RefuseActiveAccess, ReturnExisting, active_access_refusal
from ..domain.paging import PageCursor, RequestSlice
from ..domain.request_specs import RequestSpec
from ..domain.requests import AccessRequest, NaturalKey, new_request, seen_at, visible_request, withdrawal
from ..domain.systems import RegisteredSystem, owned_system, validate_system
from .ports import Clock, RequestStore, SystemStore, utc_now

__all__ = ["AccessRequests", "OpenedRequest"]

DESCRIPTIONS_KEPT = 1024


@dataclass(frozen=True, slots=True)
class OpenedRequest:
    """The answer to a POST: the request, and whether this call created it."""

    request: AccessRequest
    created: bool


class AccessRequests:
    """A vendor's access requests. Every request returned is as the vendor sees it now."""

    def __init__(
        self,
        requests: RequestStore,
        systems: SystemStore,
        world: World,
        *,
        request_ttl: timedelta,
        page_size: int,
        require_known_party: bool,
        clock: Clock = utc_now,
        new_id: Callable[[], UUID] = uuid.uuid4,
    ) -> None:
        self._requests = requests
        self._systems = systems
        self._world = world
        self._request_ttl = request_ttl
        self._page_size = page_size
        self._require_known_party = require_known_party
        self._clock = clock
        self._new_id = new_id
        # A system's description checked against the rules and seed data, per version of the
        # system (id, last update) and vendor: every POST needs it, and it changes only when
        # the system does. Bounded; emptied when full.
        self._descriptions: dict[tuple[str, datetime, str], ev.SystemDescription] = {}

    async def open(self, spec: RequestSpec, vendor_org: str) -> OpenedRequest:
        """Open a request, or answer with the pending one that has the same natural key."""
        system = owned_system(await self._systems.get(spec.system_id), spec.system_id, vendor_org)
        # Checked again against today's rules and seed data, as when the system was registered;
        # its webhook URL is not this request's business (the notifier checks it when it sends).
        description = self._description(system, vendor_org)
        applied = new_request(
            spec,
            description,
            self._world,
            request_id=self._new_id(),
            now=self._clock(),
            ttl=self._request_ttl,
            require_known_party=self._require_known_party,
        )
        match await self._requests.create(applied):
            case CreateNew():
                return OpenedRequest(self._seen(applied.record), created=True)
            case ReturnExisting(request=existing):
                return OpenedRequest(self._seen(existing), created=False)
            case RefuseActiveAccess(access_id=access_id):
                raise active_access_refusal(access_id)

    def _description(self, system: RegisteredSystem, vendor_org: str) -> ev.SystemDescription:
        key = (system.id, system.updated, vendor_org)
        found = self._descriptions.get(key)
        if found is None:
            found = validate_system(system.spec, vendor_org, self._world, check_webhook=False)
            if len(self._descriptions) >= DESCRIPTIONS_KEPT:
                self._descriptions.clear()
            self._descriptions[key] = found
        return found

    async def get(self, request_id: str, vendor_org: str, request_type: ev.RequestType) -> AccessRequest:
        request = await self._requests.get(request_id)
        return self._seen(visible_request(request, vendor_org, request_type))

    async def find(self, key: NaturalKey, vendor_org: str, request_type: ev.RequestType) -> AccessRequest:
        request = await self._requests.find(key, request_type)
        return self._seen(visible_request(request, vendor_org, request_type))

    async def page(
        self, system_id: str, vendor_org: str, request_type: ev.RequestType, token: str | None
    ) -> RequestSlice:
        """One page of a system's requests; ``token`` is the continuation token of the previous page."""
        owned_system(await self._systems.get(system_id), system_id, vendor_org)
        after = PageCursor.from_token(token) if token else None
        found = await self._requests.page(request_type, system_id, after, self._page_size)
        return RequestSlice(tuple(self._seen(r) for r in found.requests), found.next)

    async def withdraw(self, request_id: str, vendor_org: str) -> None:
        await self._requests.withdraw(withdrawal(await self._requests.get(request_id), vendor_org))

    def _seen(self, request: AccessRequest) -> AccessRequest:
        return seen_at(request, self._clock())

"""Use cases fed by Kafka: keep the vendor's view of requests and accesses current.

The approval service owns the outcome of every request; intake only mirrors it, once per
event id, so a redelivered event changes nothing.
"""

from __future__ import annotations

from shared import events as ev

from ..domain.accesses import access_from_event
from ..domain.requests import NaturalKey, accept, escalate, reject, time_out
from .ports import OutcomeStore

__all__ = ["OutcomeProjection"]


class OutcomeProjection:
    """Applies the approval service's outcome events; each returns False for a repeated event."""

    def __init__(self, outcomes: OutcomeStore) -> None:
        self._outcomes = outcomes

    async def access_created(self, event: ev.SystemAccessCreated) -> bool:
        access = access_from_event(event)
        return await self._outcomes.update_request(event.event_id, str(event.request_id), accept, access)

    async def request_rejected(self, event: ev.SystemAccessRequestRejected) -> bool:
        return await self._outcomes.update_request(event.event_id, str(event.request_id), reject)

    async def request_escalated(self, event: ev.RequestEscalated) -> bool:
        return await self._outcomes.update_request(event.event_id, str(event.request_id), escalate)

    async def request_timed_out(self, event: ev.RequestTimedOut) -> bool:
        return await self._outcomes.update_request(event.event_id, str(event.request_id), time_out)

    async def access_deleted(self, event: ev.SystemAccessDeleted) -> bool:
        key = NaturalKey(event.system_id, event.party_org_no, event.external_ref)
        return await self._outcomes.delete_access(event.event_id, str(event.system_access_id), key)

    async def client_added(self, event: ev.ClientAdded) -> bool:
        access_id = str(event.system_access_id)
        return await self._outcomes.add_client(event.event_id, access_id, event.client_org_no)

    async def client_removed(self, event: ev.ClientRemoved) -> bool:
        access_id = str(event.system_access_id)
        return await self._outcomes.remove_client(event.event_id, access_id, event.client_org_no)

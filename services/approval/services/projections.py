"""approval's views of other services' events: requests as they arrive or are withdrawn, and systems."""

from __future__ import annotations

from shared import events as ev

from ..domain.history import history_of
from ..domain.requests import request_from_event, withdraw
from .ports import RequestRepository, SystemRepository

__all__ = ["Projections"]


class Projections:
    def __init__(self, requests: RequestRepository, systems: SystemRepository) -> None:
        self.requests = requests
        self.systems = systems

    async def request_arrived(self, event: ev.SystemAccessRequested) -> bool:
        return await self.requests.add_request(
            request_from_event(event), str(event.event_id), history_of(event)
        )

    async def request_withdrawn(self, event: ev.RequestWithdrawn) -> bool:
        return await self.requests.change_request(str(event.request_id), str(event.event_id), withdraw)

    async def system_changed(self, event: ev.SystemRegistered | ev.SystemUpdated | ev.SystemDeleted) -> bool:
        return await self.systems.record_system(event)

"""Time: requests that outlive their time to live become Timedout; escalated ones get a reminder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from .directory import Directory
from .store import ApprovalStore

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ExpiryJob:
    def __init__(
        self,
        store: ApprovalStore,
        directory: Directory,
        clock: Clock = system_clock,
        interval_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.directory = directory
        self.clock = clock
        self.interval_seconds = interval_seconds

    async def run_once(self) -> tuple[int, int]:
        now = self.clock()
        expired = reminded = 0
        for request_id in await self.store.due(self.store.expiry_index, now):
            expired += await self.store.expire(request_id, now)
        for request_id in await self.store.due(self.store.reminder_index, now):
            state = await self.store.get_request(request_id)
            managers = await self.directory.access_managers(state["partyOrgNo"]) if state else ()
            reminded += await self.store.remind(request_id, managers)
        return expired, reminded

    async def run(self) -> None:
        while True:
            try:
                expired, reminded = await self.run_once()
                if expired or reminded:
                    log.info("expiry.run", expired=expired, reminded=reminded)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("expiry.error", error=repr(exc))
            await asyncio.sleep(self.interval_seconds)

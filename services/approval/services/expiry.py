"""Time: requests that outlive their time to live become Timedout; escalated ones get a reminder."""

from __future__ import annotations

import asyncio
from functools import partial

import structlog

from ..domain.expiry import reminder, time_out
from .change_requests import ChangeRequestsArriving
from .decisions import DECISIONS, Clock, system_clock
from .ports import Directory, RequestRepository

__all__ = ["ExpiryJob"]

log = structlog.get_logger(__name__)


class ExpiryJob:
    def __init__(
        self,
        requests: RequestRepository,
        directory: Directory,
        clock: Clock = system_clock,
        interval_seconds: float = 5.0,
        changes: ChangeRequestsArriving | None = None,
    ) -> None:
        self.changes = changes
        self.requests = requests
        self.directory = directory
        self.clock = clock
        self.interval_seconds = interval_seconds

    async def run_once(self) -> tuple[int, int]:
        now = self.clock()
        expired = reminded = 0
        for request_id in await self.requests.due_expiries(now):
            expired += await self.requests.time_out(request_id, partial(time_out, now=now))
        if expired:
            DECISIONS.labels("timed_out").inc(expired)  # nobody decided within the request's time to live
        if self.changes is not None:
            # Change requests expire as requests do (counted by their own use case).
            expired += await self.changes.expire_due()
        for request_id in await self.requests.due_reminders(now):
            request = await self.requests.get_request(request_id)
            managers = await self.directory.access_managers(request.party_org_no) if request else ()
            reminded += await self.requests.remind(request_id, partial(reminder, managers=managers))
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

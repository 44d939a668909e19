"""The decision worker's use case: apply a decision command once, re-checking who decides.

Decision commands are keyed by request id, so one partition, and one handler at a time,
sees all commands for a request; the repository's transaction makes the outcome single even
when a rebalance lets two workers overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared import events as ev

from ..domain.authorization import Verdict, assess
from ..domain.decisions import Applied, apply_decision
from ..domain.models import DecisionResult, SystemAccessRequest
from ..domain.refusals import Refusal
from .ports import Directory, RequestRepository

__all__ = ["DecisionWorker"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class DecisionWorker:
    def __init__(
        self,
        requests: RequestRepository,
        directory: Directory,
        clock: Clock = system_clock,
        max_command_age: timedelta = timedelta(minutes=10),
    ) -> None:
        self.requests = requests
        self.directory = directory
        self.clock = clock
        self.max_command_age = max_command_age

    async def handle(self, command: ev.DecideRequest) -> DecisionResult | None:
        async def decide(request: SystemAccessRequest | None) -> Applied | Refusal:
            verdict = await self._verdict(command, request)
            managers = await self.directory.access_managers(command.party_org_no)
            return apply_decision(request, command, verdict, managers, self.clock(), self.max_command_age)

        return await self.requests.apply_decision(command, decide)

    async def _verdict(self, command: ev.DecideRequest, request: SystemAccessRequest | None) -> Verdict:
        relation = await self.directory.relation(command.actor_pid, command.party_org_no)
        if request is None:
            return assess(relation, ev.RequestType.STANDARD, (), ())
        return assess(relation, request.request_type, request.rights, request.access_packages)

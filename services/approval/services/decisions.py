"""The decision worker's use case: apply a decision command once, re-checking who decides.

Decision commands are keyed by request id, so one partition, and one handler at a time,
sees all commands for a request; the repository's transaction makes the outcome single even
when a rebalance lets two workers overlap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram

from shared import events as ev

from ..domain.authorization import Verdict, assess
from ..domain.decisions import Applied, apply_decision
from ..domain.models import DecisionOutcome, DecisionResult, SystemAccessRequest
from ..domain.refusals import Refusal
from .ports import Directory, RequestRepository

__all__ = ["DECISIONS", "DECISION_SECONDS", "DecisionWorker", "InlineDecisions"]

DECISIONS = Counter(
    "sysaccess_decisions_total",
    "Decisions by outcome: accepted, rejected, escalated, refused (commands), timed_out (the expiry job)",
    ["outcome"],
)
DECISION_SECONDS = Histogram(
    "sysaccess_decision_seconds",
    "Time from a request's creation to the decision on it, by outcome (accepted, rejected, escalated)",
    ["outcome"],
    buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400, 180 * 86400),
)

Clock = Callable[[], datetime]
CommandT = TypeVar("CommandT", ev.DecideRequest, ev.DecideChangeRequest)


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
        """A command from Kafka: the result is also stored for the portal request waiting on it."""
        return await self._apply(command, report=True)

    async def apply_now(self, command: ev.DecideRequest) -> DecisionResult | None:
        """A command applied in the portal's own request, which gets the result returned."""
        return await self._apply(command, report=False)

    async def _apply(self, command: ev.DecideRequest, *, report: bool) -> DecisionResult | None:
        decided_at: list[tuple[SystemAccessRequest, datetime]] = []

        async def decide(request: SystemAccessRequest | None) -> Applied | Refusal:
            verdict = await self._verdict(command, request)
            managers = await self.directory.access_managers(command.party_org_no)
            now = self.clock()
            decided = apply_decision(request, command, verdict, managers, now, self.max_command_age)
            if isinstance(decided, Applied):
                decided_at[:] = [(decided.request, now)]
            return decided

        result = await self.requests.apply_decision(command, decide, report=report)
        if result is not None:  # None: a redelivered command, counted the first time
            outcome = result.outcome.value.lower()
            DECISIONS.labels(outcome).inc()
            if result.outcome is not DecisionOutcome.REFUSED and decided_at:
                request, now = decided_at[0]
                DECISION_SECONDS.labels(outcome).observe(max((now - request.created).total_seconds(), 0.0))
        return result

    async def _verdict(self, command: ev.DecideRequest, request: SystemAccessRequest | None) -> Verdict:
        relation = await self.directory.relation(command.actor_pid, command.party_org_no)
        if request is None:
            return assess(relation, ev.RequestType.STANDARD, (), ())
        return assess(relation, request.request_type, request.rights, request.access_packages)


class InlineDecisions(Generic[CommandT]):
    """Decision commands applied in the portal's own request, by the worker's use case.

    The single outcome does not depend on the topic's ordering: the repository applies a
    command in a transaction that watches what it changes, so two portal instances deciding on
    one request at once yield one outcome and one refusal, as two workers would. The command
    is still a command (same checks, same replay age, same idempotency by its id); its result
    is returned, not stored, so a refused decision writes nothing but its idempotency record.
    """

    def __init__(self, apply: Callable[[CommandT], Awaitable[DecisionResult | None]]) -> None:
        self.apply: Callable[[CommandT], Awaitable[DecisionResult | None]] = apply

    async def send(self, command: CommandT) -> DecisionResult | None:
        return await self.apply(command)

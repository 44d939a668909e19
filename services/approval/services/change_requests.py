"""Use cases of change requests in approval: arrival, the page, the decision and its worker, expiry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from shared import events as ev
from shared.redirects import redirect_allowed

from ..domain.authorization import Capability, Verdict, assess
from ..domain.change_requests import (
    ChangeApplied,
    ChangeRequestRecord,
    ChangeStatus,
    apply_change_decision,
    change_request_from_event,
    pending_change,
    time_out_change,
    withdraw_change,
)
from ..domain.decisions import authorize
from ..domain.models import DecisionOutcome, DecisionResult, SystemAccess
from ..domain.refusals import Refusal, RefusalReason, Refused, Unavailable
from .decisions import DECISIONS, Clock, system_clock
from .naming import NamedItem, Names, pick
from .portal import DECISION_NOT_RECORDED, LOGGED_OUT_PATH, _is_uuid, _outcome
from .ports import (
    AccessRepository,
    ChangeDecisionCommands,
    ChangeRequestRepository,
    Directory,
    RequestRepository,
    SystemRepository,
)

__all__ = ["ChangePageModel", "ChangeRequestPortal", "ChangeRequestWorker", "ChangeRequestsArriving"]

NOT_FOUND = Refusal("AUTH-00010", reason=RefusalReason.NOT_FOUND, title="Change request not found")


@dataclass(frozen=True)
class ChangePageModel:
    id: str
    status: ChangeStatus
    request_type: ev.RequestType
    party_org_no: str
    party_name: str
    vendor_org_no: str
    vendor_name: str
    system_name: str
    system_description: str
    integration_title: str
    access_id: str
    access_live: bool
    added: list[NamedItem]  # rights, then packages: "legges til"
    removed: list[NamedItem]  # "fjernes"
    verdict: Verdict
    missing: list[str]  # names of added rights and packages the person lacks
    created: datetime

    @property
    def may_decide(self) -> bool:
        live = self.status is ChangeStatus.NEW and self.access_live
        return live and self.verdict.capability is Capability.DECIDE


class ChangeRequestPortal:
    """The change request page and its decision, for a person logged in to the portal."""

    def __init__(
        self,
        changes: ChangeRequestRepository,
        accesses: AccessRepository,
        systems: SystemRepository,
        directory: Directory,
        names: Names,
        decisions: ChangeDecisionCommands,
        results: RequestRepository,
        decision_timeout: float,
        clock: Clock = system_clock,
    ) -> None:
        self.changes = changes
        self.accesses = accesses
        self.systems = systems
        self.directory = directory
        self.names = names
        self.decisions = decisions
        self.results = results
        self.decision_timeout = decision_timeout
        self.clock = clock

    async def _found(self, change_request_id: str) -> tuple[ChangeRequestRecord, SystemAccess | None]:
        change = (
            await self.changes.get_change_request(change_request_id) if _is_uuid(change_request_id) else None
        )
        if change is None:
            raise Refused(NOT_FOUND)
        return change, await self.accesses.get_access(change.system_access_id)

    async def _assess(self, pid: str, change: ChangeRequestRecord, access: SystemAccess | None) -> Verdict:
        relation = await self.directory.relation(pid, change.party_org_no)
        if access is None:
            return assess(relation, change.request_type, (), ())
        diff = pending_change(change, access)
        return assess(relation, access.request_type, diff.rights_added, diff.packages_added)

    async def view(self, change_request_id: str, pid: str, lang: str) -> ChangePageModel:
        change, access = await self._found(change_request_id)
        verdict = await self._assess(pid, change, access)
        if verdict.capability is Capability.NONE:
            detail = "You have no relation to the organisation of this change request"
            raise Refused(Refusal("AUTH-00066", detail, RefusalReason.FORBIDDEN, title="Forbidden"))
        live = access is not None and not access.deleted
        diff = pending_change(change, access) if access is not None else None
        system = await self.systems.get_system(change.system_id)
        added = removed = []
        if diff is not None:
            added = [self.names.right_item(r, lang) for r in diff.rights_added]
            added += [self.names.package_item(p, lang) for p in diff.packages_added]
            removed = [self.names.right_item(r, lang) for r in diff.rights_removed]
            removed += [self.names.package_item(p, lang) for p in diff.packages_removed]
        return ChangePageModel(
            id=change.id,
            status=change.status_at(self.clock()),
            request_type=change.request_type,
            party_org_no=change.party_org_no,
            party_name=await self.directory.org_name(change.party_org_no),
            vendor_org_no=change.vendor_org_no,
            vendor_name=await self.directory.org_name(change.vendor_org_no),
            system_name=pick(change.system_name, lang) or change.system_id,
            system_description=pick(system.description, lang) if system else "",
            integration_title=access.integration_title if access else change.system_id,
            access_id=change.system_access_id,
            access_live=live,
            added=added,
            removed=removed,
            verdict=verdict,
            missing=[self.names.resource(r, lang) for r in verdict.missing_rights]
            + [self.names.package(p, lang) for p in verdict.missing_packages],
            created=change.created,
        )

    async def party_of(self, change_request_id: str) -> str:
        """The party of a change request, or "" when there is none."""
        change = (
            await self.changes.get_change_request(change_request_id) if _is_uuid(change_request_id) else None
        )
        return change.party_org_no if change else ""

    async def decide(
        self, change_request_id: str, party_org_no: str, pid: str, decision: ev.Decision
    ) -> DecisionOutcome:
        """Send the decision to the worker and wait for its verdict; raise Refused on refusal.

        Unlike Altinn, the party in the route must be the change request's party."""
        change, access = await self._found(change_request_id)
        if change.party_org_no != party_org_no:
            detail = "No such change request for this party"
            raise Refused(
                Refusal("AUTH-00010", detail, RefusalReason.NOT_FOUND, title="Change request not found")
            )
        if decision is ev.Decision.ESCALATE:
            raise Refused(
                Refusal("AUTH-00066", "A change request cannot be forwarded", RefusalReason.FORBIDDEN)
            )
        refusal = authorize(await self._assess(pid, change, access), decision)
        if refusal is not None:
            raise Refused(refusal)
        command = ev.DecideChangeRequest(
            change_request_id=uuid.UUID(change.id),
            party_org_no=party_org_no,
            decision=decision,
            actor_pid=pid,
        )
        try:
            result = await self.decisions.send(command)
        except Unavailable as exc:
            raise Refused(DECISION_NOT_RECORDED) from exc
        if result is None:  # sent to the worker: wait for it
            result = await self.results.wait_for_result(str(command.event_id), self.decision_timeout)
        return _outcome(result)

    async def redirect_target(self, change_request_id: str) -> str:
        """The vendor's redirect URL if it is still on the system's allow-list, else the logged-out page."""
        change = (
            await self.changes.get_change_request(change_request_id) if _is_uuid(change_request_id) else None
        )
        if change is None or not change.redirect_url:
            return LOGGED_OUT_PATH
        system = await self.systems.get_system(change.system_id)
        allowed = system.allowed_redirect_urls if system else ()
        return change.redirect_url if redirect_allowed(change.redirect_url, allowed) else LOGGED_OUT_PATH


class ChangeRequestWorker:
    """Applies change-request decision commands once, checking the person again on the state it
    applies to (the access may have changed since the page was shown)."""

    def __init__(
        self, changes: ChangeRequestRepository, directory: Directory, clock: Clock = system_clock
    ) -> None:
        self.changes = changes
        self.directory = directory
        self.clock = clock

    async def handle(self, command: ev.DecideChangeRequest) -> bool:
        """A command from Kafka: the result is also stored for the portal request waiting on it;
        False for a redelivered command."""
        return await self._apply(command, report=True) is not None

    async def apply_now(self, command: ev.DecideChangeRequest) -> DecisionResult | None:
        """A command applied in the portal's own request, which gets the result returned."""
        return await self._apply(command, report=False)

    async def _apply(self, command: ev.DecideChangeRequest, *, report: bool) -> DecisionResult | None:
        async def decide(
            change: ChangeRequestRecord | None, access: SystemAccess | None
        ) -> ChangeApplied | Refusal:
            relation = await self.directory.relation(command.actor_pid, command.party_org_no)
            if change is None or access is None:
                verdict = assess(relation, ev.RequestType.STANDARD, (), ())
            else:
                diff = pending_change(change, access)
                verdict = assess(relation, access.request_type, diff.rights_added, diff.packages_added)
            return apply_change_decision(change, access, command, verdict, self.clock())

        result = await self.changes.apply_change_decision(command, decide, report=report)
        if result is not None:
            DECISIONS.labels(result.outcome.value.lower()).inc()
        return result


class ChangeRequestsArriving:
    """Change requests as intake announces them, and their withdrawal; and their expiry."""

    def __init__(self, changes: ChangeRequestRepository, clock: Clock = system_clock) -> None:
        self.changes = changes
        self.clock = clock

    async def arrived(self, event: ev.SystemAccessChangeRequested) -> bool:
        return await self.changes.add_change_request(change_request_from_event(event), str(event.event_id))

    async def withdrawn(self, event: ev.ChangeRequestWithdrawn) -> bool:
        return await self.changes.withdraw_change_request(
            str(event.change_request_id), str(event.event_id), withdraw_change
        )

    async def expire_due(self) -> int:
        """Time out every pending change request past its time to live; how many did."""
        now = self.clock()
        expired = 0
        for change_id in await self.changes.due_change_expiries(now):
            expired += await self.changes.time_out_change_request(
                change_id, partial(time_out_change, now=now)
            )
        if expired:
            DECISIONS.labels("timed_out").inc(expired)
        return expired

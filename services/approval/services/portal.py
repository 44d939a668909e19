"""Use cases behind the request pages and the BFF: view a request, decide on it, leave it."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from shared import events as ev
from shared.redirects import redirect_allowed

from ..domain.authorization import Capability, Verdict, assess
from ..domain.decisions import authorize
from ..domain.models import DecisionOutcome, DecisionResult, RequestStatus, SystemAccessRequest
from ..domain.refusals import Refusal, RefusalReason, Refused, Unavailable
from .naming import NamedItem, Names, pick
from .ports import DecisionCommands, Directory, RequestRepository, SystemRepository

__all__ = [
    "DECISION_NOT_RECORDED",
    "DECISION_PENDING",
    "LOGGED_OUT_PATH",
    "NamedItem",
    "Portal",
    "RequestPageModel",
]

LOGGED_OUT_PATH = "/accessmanagement/ui/loggedout"
NOT_FOUND = Refusal("AUTH-00010", reason=RefusalReason.NOT_FOUND, title="Request not found")
DECISION_NOT_RECORDED = Refusal(
    "DECISION-NOT-RECORDED",
    "The decision was not recorded: the service is temporarily unavailable. Try again.",
    RefusalReason.UNAVAILABLE,
    title="Decision not recorded",
)
DECISION_PENDING = Refusal(
    "DECISION-PENDING",
    "The decision was received but not processed in time; reload later",
    RefusalReason.UNAVAILABLE,
    title="Decision pending",
)


@dataclass(frozen=True)
class RequestPageModel:
    id: str
    request_type: ev.RequestType
    status: RequestStatus
    party_org_no: str
    party_name: str
    vendor_org_no: str
    vendor_name: str
    system_id: str
    system_name: str
    system_description: str
    integration_title: str
    rights: list[NamedItem]
    packages: list[NamedItem]
    escalated: bool
    verdict: Verdict
    created: datetime
    missing: list[str]  # names of the rights and packages the person lacks

    @property
    def may_decide(self) -> bool:
        return self.status is RequestStatus.NEW and self.verdict.capability is Capability.DECIDE

    @property
    def may_escalate(self) -> bool:
        return self.status is RequestStatus.NEW and self.verdict.capability is Capability.ESCALATE


class Portal:
    def __init__(
        self,
        requests: RequestRepository,
        systems: SystemRepository,
        directory: Directory,
        names: Names,
        decisions: DecisionCommands,
        decision_timeout: float,
        arrival_wait: float = 0.0,
    ) -> None:
        self.requests = requests
        self.systems = systems
        self.directory = directory
        self.names = names
        self.decisions = decisions
        self.decision_timeout = decision_timeout
        self.arrival_wait = arrival_wait

    async def view(
        self, request_id: str, pid: str, request_type: ev.RequestType, lang: str
    ) -> RequestPageModel:
        request = await self._request(request_id, request_type)
        relation = await self.directory.relation(pid, request.party_org_no)
        verdict = assess(relation, request_type, request.rights, request.access_packages)
        if verdict.capability is Capability.NONE:
            detail = "You have no relation to the organisation of this request"
            raise Refused(Refusal("AUTH-00066", detail, RefusalReason.FORBIDDEN, title="Forbidden"))
        system = await self.systems.get_system(request.system_id)
        return RequestPageModel(
            id=request.id,
            request_type=request_type,
            status=request.status_at(datetime.now(UTC)),
            party_org_no=request.party_org_no,
            party_name=await self.directory.org_name(request.party_org_no),
            vendor_org_no=request.vendor_org_no,
            vendor_name=await self.directory.org_name(request.vendor_org_no),
            system_id=request.system_id,
            system_name=pick(request.system_name, lang) or request.system_id,
            system_description=pick(system.description, lang) if system else "",
            integration_title=request.integration_title,
            rights=[self.names.right_item(r, lang) for r in request.rights],
            packages=[self.names.package_item(p, lang) for p in request.access_packages],
            escalated=request.escalated,
            verdict=verdict,
            created=request.created,
            missing=[self.names.resource(r, lang) for r in verdict.missing_rights]
            + [self.names.package(p, lang) for p in verdict.missing_packages],
        )

    async def party_of(self, request_id: str) -> str:
        """The party a request is for, or "" when there is no such request."""
        request = await self.requests.get_request(request_id) if _is_uuid(request_id) else None
        return request.party_org_no if request else ""

    async def decide(
        self,
        request_id: str,
        party_org_no: str,
        pid: str,
        decision: ev.Decision,
        request_type: ev.RequestType,
    ) -> DecisionOutcome:
        """Send the decision to the worker and wait for its verdict; raise Refused on refusal.

        Who decides is checked here first, so a command is published only for a person the
        worker would accept; the worker checks again against the state it applies to.
        """
        request = await self._request(request_id, request_type, wait=self.arrival_wait)
        if request.party_org_no != party_org_no:
            detail = "No such request for this party"
            raise Refused(Refusal("AUTH-00010", detail, RefusalReason.NOT_FOUND, title="Request not found"))
        relation = await self.directory.relation(pid, party_org_no)
        refusal = authorize(assess(relation, request_type, request.rights, request.access_packages), decision)
        if refusal is not None:
            raise Refused(refusal)
        command = ev.DecideRequest(
            request_id=uuid.UUID(request_id), party_org_no=party_org_no, decision=decision, actor_pid=pid
        )
        try:
            result = await self.decisions.send(command)
        except Unavailable as exc:
            raise Refused(DECISION_NOT_RECORDED) from exc
        if result is None:  # sent to the worker: wait for it
            result = await self.requests.wait_for_result(str(command.event_id), self.decision_timeout)
        return _outcome(result)

    async def redirect_target(self, request_id: str) -> str:
        """The vendor's redirect URL if it is still on the system's allow-list, else the logged-out page."""
        request = await self.requests.get_request(request_id) if _is_uuid(request_id) else None
        if request is None or not request.redirect_url:
            return LOGGED_OUT_PATH
        system = await self.systems.get_system(request.system_id)
        allowed = system.allowed_redirect_urls if system else ()
        return request.redirect_url if redirect_allowed(request.redirect_url, allowed) else LOGGED_OUT_PATH

    async def _request(
        self, request_id: str, request_type: ev.RequestType, wait: float = 0.0
    ) -> SystemAccessRequest:
        """The request, waiting up to ``wait`` seconds for one this service has not heard of yet.

        A vendor may send its user from its POST straight to the portal, and the request's
        event may still be on its way here; a short wait spares the user a "not found".
        """
        request = await self.requests.get_request(request_id) if _is_uuid(request_id) else None
        if request is None and wait > 0 and _is_uuid(request_id):
            deadline, pause = time.monotonic() + wait, 0.02
            while request is None and time.monotonic() < deadline:
                await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
                pause = min(pause * 2, 0.25)
                request = await self.requests.get_request(request_id)
        if request is None or request.request_type is not request_type:
            raise Refused(NOT_FOUND)
        return request


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _outcome(result: DecisionResult | None) -> DecisionOutcome:
    if result is None:
        raise Refused(DECISION_PENDING)
    if result.outcome is DecisionOutcome.REFUSED:
        reason = RefusalReason(result.reason) if result.reason else RefusalReason.INVALID
        raise Refused(Refusal(result.code or "", result.detail or "", reason, title="Decision refused"))
    return result.outcome

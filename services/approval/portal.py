"""Application services behind the portal pages and the BFF: view a request, decide, leave."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from faststream.kafka.publisher.usecase import DefaultPublisher

from shared import events as ev
from shared.problems import Problem
from shared.redirects import redirect_allowed
from shared.topics import DECIDE_REQUEST
from shared.world import World

from .authorization import Capability, Verdict, assess
from .decisions import effective_status
from .directory import Directory
from .store import ApprovalStore

LOGGED_OUT_PATH = "/accessmanagement/ui/loggedout"


@dataclass(frozen=True)
class NamedItem:
    id: str
    name: str


@dataclass(frozen=True)
class RequestPageModel:
    id: str
    request_type: ev.RequestType
    status: str
    party_org_no: str
    party_name: str
    vendor_org_no: str
    vendor_name: str
    system_id: str
    system_name: str
    integration_title: str
    rights: list[NamedItem]
    packages: list[NamedItem]
    escalated: bool
    verdict: Verdict
    created: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def may_decide(self) -> bool:
        return self.status == "New" and self.verdict.capability is Capability.DECIDE

    @property
    def may_escalate(self) -> bool:
        return self.status == "New" and self.verdict.capability is Capability.ESCALATE

    def as_json(self, lang: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "systemUserType": self.request_type.value,
            "status": self.status,
            "partyOrgNo": self.party_org_no,
            "partyName": self.party_name,
            "vendor": {"orgNo": self.vendor_org_no, "name": self.vendor_name},
            "systemId": self.system_id,
            "systemName": self.system_name,
            "integrationTitle": self.integration_title,
            "rights": [{"resource": r.id, "name": r.name} for r in self.rights],
            "accessPackages": [{"urn": p.id, "name": p.name} for p in self.packages],
            "escalated": self.escalated,
            "created": self.created,
            "userMayApprove": self.may_decide,
            "userMayEscalateButNotApprove": self.verdict.capability is Capability.ESCALATE,
            "missingRights": list(self.verdict.missing_rights),
            "missingAccessPackages": list(self.verdict.missing_packages),
            "language": lang,
        }


class Portal:
    def __init__(
        self,
        store: ApprovalStore,
        directory: Directory,
        world: World,
        decisions: DefaultPublisher,
        decision_timeout: float,
    ) -> None:
        self.store = store
        self.directory = directory
        self.world = world
        self.decisions = decisions
        self.decision_timeout = decision_timeout

    async def view(
        self, request_id: str, pid: str, request_type: ev.RequestType, lang: str
    ) -> RequestPageModel:
        state = await self._state(request_id, request_type)
        relation = await self.directory.relation(pid, state["partyOrgNo"])
        verdict = assess(relation, request_type, tuple(state["rights"]), tuple(state["accessPackages"]))
        if verdict.capability is Capability.NONE:
            raise Problem(
                403,
                "Forbidden",
                "You have no relation to the organisation of this request",
                code="AUTH-00066",
            )
        status = effective_status(state, datetime.now(UTC))
        return RequestPageModel(
            id=state["id"],
            request_type=request_type,
            status=status,
            party_org_no=state["partyOrgNo"],
            party_name=await self.directory.org_name(state["partyOrgNo"]),
            vendor_org_no=state["vendorOrgNo"],
            vendor_name=await self.directory.org_name(state["vendorOrgNo"]),
            system_id=state["systemId"],
            system_name=_pick(state.get("systemName") or {}, lang) or state["systemId"],
            integration_title=state["integrationTitle"],
            rights=[NamedItem(r, self._resource_name(r, lang)) for r in state["rights"]],
            packages=[NamedItem(p, self.package_name(p, lang)) for p in state["accessPackages"]],
            escalated=bool(state.get("escalated")),
            verdict=verdict,
            created=state["created"],
        )

    async def decide(
        self,
        request_id: str,
        party_org_no: str,
        pid: str,
        decision: ev.Decision,
        request_type: ev.RequestType,
    ) -> dict[str, Any]:
        """Send the decision to the worker and wait for its verdict; raise a Problem on refusal."""
        state = await self._state(request_id, request_type)
        if state["partyOrgNo"] != party_org_no:
            raise Problem(404, "Request not found", "No such request for this party", code="AUTH-00010")
        command = ev.DecideRequest(
            request_id=uuid.UUID(request_id), party_org_no=party_org_no, decision=decision, actor_pid=pid
        )
        await self.decisions.publish(
            command.to_json_bytes(), key=DECIDE_REQUEST.key_of(command), headers=command.headers()
        )
        result = await self.store.wait_for_result(str(command.event_id), self.decision_timeout)
        if result is None:
            raise Problem(
                503, "Decision pending", "The decision was received but not processed in time; reload later"
            )
        if result["outcome"] == "refused":
            raise Problem(
                int(result.get("status", 400)), "Decision refused", result["detail"], code=result["code"]
            )
        return result

    async def redirect_target(self, request_id: str) -> str:
        """The vendor's redirect URL if it is still on the system's allow-list, else the logged-out page."""
        state = await self.store.get_request(request_id)
        if state is None or not state.get("redirectUrl"):
            return LOGGED_OUT_PATH
        system = await self.store.get_system(state["systemId"])
        allowed = (system or {}).get("allowedRedirectUrls", [])
        url = str(state["redirectUrl"])
        return url if redirect_allowed(url, allowed) else LOGGED_OUT_PATH

    async def _state(self, request_id: str, request_type: ev.RequestType) -> dict[str, Any]:
        try:
            uuid.UUID(request_id)
        except ValueError as exc:
            raise Problem(404, "Request not found", code="AUTH-00010") from exc
        state = await self.store.get_request(request_id)
        if state is None or state["requestType"] != request_type.value:
            raise Problem(404, "Request not found", code="AUTH-00010")
        return state

    def _resource_name(self, resource_id: str, lang: str) -> str:
        resource = self.world.resource(resource_id)
        return _pick(resource.name, lang) if resource else resource_id

    def package_name(self, urn: str, lang: str) -> str:
        package = self.world.package(urn)
        return _pick(package.title, lang) if package else urn


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("nb") or next(iter(texts.values()), "")

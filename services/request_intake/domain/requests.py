"""Access requests: the stored record, how one is opened, who may see it, and how it moves.

A request is New until the approval service's outcome events move it on (Accepted,
Rejected, Timedout); a New request whose time ran out reads as Timedout even before the
timeout event arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared import events as ev
from shared.world import World

from .applied import Applied
from .refusals import Refusal, RefusalKind
from .request_specs import AgentRequestSpec, RequestSpec, validate_request

__all__ = [
    "AccessRequest",
    "NaturalKey",
    "RequestStatus",
    "RequestTransition",
    "accept",
    "escalate",
    "mark_withdrawn",
    "new_request",
    "reject",
    "request_not_found",
    "seen_at",
    "time_out",
    "visible_request",
    "withdrawal",
]

RequestStatus = Literal["New", "Accepted", "Rejected", "Denied", "Timedout"]


@dataclass(frozen=True, slots=True)
class NaturalKey:
    """The vendor's own key for a request: one pending request and one access per key."""

    system_id: str
    party_org_no: str
    external_ref: str


class AccessRequest(BaseModel):
    """A vendor's request for system access, as intake keeps it for the vendor to read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    request_type: ev.RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    integration_title: str
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()
    redirect_url: str | None = None
    status: RequestStatus = "New"
    escalated: bool = False
    created: datetime
    expires_at: datetime
    withdrawn: bool = False

    @property
    def natural_key(self) -> NaturalKey:
        return NaturalKey(self.system_id, self.party_org_no, self.external_ref)

    def is_pending(self, now: datetime) -> bool:
        """New, not withdrawn and not yet expired: the request a repeated POST gets back."""
        return self.status == "New" and not self.withdrawn and self.expires_at > now


def new_request(
    spec: RequestSpec,
    system: ev.SystemDescription,
    world: World,
    *,
    request_id: UUID,
    now: datetime,
    ttl: timedelta,
    require_known_party: bool,
) -> Applied[AccessRequest, ev.SystemAccessRequested]:
    """Check a vendor's request against its system and open it; storage then decides duplicates."""
    rights, packages = validate_request(spec, system, world, require_known_party=require_known_party)
    request = AccessRequest(
        id=str(request_id),
        request_type=ev.RequestType.AGENT if isinstance(spec, AgentRequestSpec) else ev.RequestType.STANDARD,
        system_id=spec.system_id,
        vendor_org_no=system.vendor_org_no,
        party_org_no=spec.party_org_no,
        external_ref=spec.external_ref or spec.party_org_no,
        integration_title=spec.integration_title or system.name.get("nb") or spec.system_id,
        rights=rights,
        access_packages=packages,
        redirect_url=spec.redirect_url,
        created=now,
        expires_at=now + ttl,
    )
    return Applied(request, _requested(request, system))


def _requested(request: AccessRequest, system: ev.SystemDescription) -> ev.SystemAccessRequested:
    return ev.SystemAccessRequested(
        request_id=UUID(request.id),
        request_type=request.request_type,
        system_id=request.system_id,
        system_name=system.name,
        vendor_org_no=request.vendor_org_no,
        party_org_no=request.party_org_no,
        external_ref=request.external_ref,
        integration_title=request.integration_title,
        rights=request.rights,
        access_packages=request.access_packages,
        redirect_url=request.redirect_url,
        created=request.created,
        expires_at=request.expires_at,
    )


def seen_at(request: AccessRequest, now: datetime) -> AccessRequest:
    """The request as the vendor sees it at ``now``: a New request past its expiry reads Timedout."""
    if request.status == "New" and request.expires_at <= now:
        return request.model_copy(update={"status": "Timedout"})
    return request


def request_not_found() -> Refusal:
    return Refusal(RefusalKind.NOT_FOUND, "AUTH-00010", "Request not found")


def visible_request(
    request: AccessRequest | None, vendor_org: str, request_type: ev.RequestType
) -> AccessRequest:
    """The request if this vendor may read it on this path (standard or agent); else not found."""
    if (
        request is None
        or request.withdrawn
        or request.vendor_org_no != vendor_org
        or request.request_type != request_type
    ):
        raise request_not_found()
    return request


def withdrawal(request: AccessRequest | None, vendor_org: str) -> Applied[AccessRequest, ev.RequestWithdrawn]:
    """The vendor takes back its own request (of either type); withdrawn ones are gone."""
    if request is None or request.withdrawn or request.vendor_org_no != vendor_org:
        raise request_not_found()
    event = ev.RequestWithdrawn(
        request_id=UUID(request.id),
        system_id=request.system_id,
        vendor_org_no=vendor_org,
        party_org_no=request.party_org_no,
    )
    return Applied(mark_withdrawn(request), event)


def mark_withdrawn(request: AccessRequest) -> AccessRequest:
    return request.model_copy(update={"withdrawn": True})


# -- outcomes the approval service reports ---------------------------------------------------

RequestTransition = Callable[[AccessRequest], AccessRequest]
"""A pure change of a stored request, such as ``accept``; storage applies it atomically."""


def accept(request: AccessRequest) -> AccessRequest:
    return request.model_copy(update={"status": "Accepted"})


def reject(request: AccessRequest) -> AccessRequest:
    """Only a New request can be rejected; a later rejection does not undo an outcome."""
    return request.model_copy(update={"status": "Rejected"}) if request.status == "New" else request


def escalate(request: AccessRequest) -> AccessRequest:
    return request.model_copy(update={"escalated": True})


def time_out(request: AccessRequest) -> AccessRequest:
    """Only a New request can time out."""
    return request.model_copy(update={"status": "Timedout"}) if request.status == "New" else request

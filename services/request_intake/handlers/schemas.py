"""The vendor API's JSON shapes, as Altinn names them (camelCase), and how records become them.

The request bodies are the domain's specs under the names the OpenAPI document has always
used; the views are built from the domain's records here and only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.events import RequestType
from shared.world import RESOURCE_ATTRIBUTE

from ..domain.accesses import Client
from ..domain.paging import RequestSlice
from ..domain.references import AccessPackageRef, ResourceAttribute, Right
from ..domain.request_specs import AgentRequestSpec, StandardRequestSpec
from ..domain.requests import AccessRequest, RequestStatus
from ..domain.systems import RegisteredSystem, SystemSpec
from ..services.accesses import FoundAccess
from ..services.system_register import SystemRegistration

__all__ = [
    "AgentRequestBody",
    "PublicUrls",
    "RequestPage",
    "RequestView",
    "StandardRequestBody",
    "SystemBody",
    "SystemView",
    "WebhookSecretView",
    "clients_json",
    "system_access_json",
]


class SystemBody(SystemSpec):
    """A system as its vendor describes it (POST and PUT on the system register)."""


class StandardRequestBody(StandardRequestSpec):
    """A request for rights and access packages on the party's own behalf."""


class AgentRequestBody(AgentRequestSpec):
    """A request for client access packages, which the party then delegates per client."""


@dataclass(frozen=True, slots=True)
class PublicUrls:
    """Where the vendor API and the portal are reachable, for links in responses."""

    api_base_url: str
    portal_base_url: str

    def request(self, request: AccessRequest) -> str:
        """The request's own URL, for the Location header."""
        agent = "agent/" if request.request_type is RequestType.AGENT else ""
        return f"{self.api_base_url}/authentication/api/v1/systemuser/request/vendor/{agent}{request.id}"

    def confirm(self, request: AccessRequest) -> str:
        """Where the party approves the request in the portal. ``DONTCHOOSEREPORTEE=true`` as in
        Altinn, where it skips the reportee picker; the portal here always acts for the
        request's party, so it only keeps the URL what vendors know."""
        page = "agentrequest" if request.request_type is RequestType.AGENT else "request"
        query = f"id={request.id}&DONTCHOOSEREPORTEE=true"
        return f"{self.portal_base_url}/accessmanagement/ui/systemuser/{page}?{query}"

    def next_page(self, path: str, found: RequestSlice) -> str | None:
        return f"{self.api_base_url}{path}?token={found.next.to_token()}" if found.next else None


class SystemView(SystemBody):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    is_deleted: bool = False
    created: datetime
    updated: datetime
    webhook_secret: str | None = Field(
        default=None, description="Signing secret of the webhook; returned once, when the URL is first set"
    )

    @classmethod
    def of(cls, system: RegisteredSystem, webhook_secret: str | None = None) -> SystemView:
        bookkeeping = {
            "is_deleted": system.is_deleted,
            "created": system.created,
            "updated": system.updated,
            "webhook_secret": webhook_secret,
        }
        return cls.model_validate({**system.spec.model_dump(), **bookkeeping})

    @classmethod
    def of_registration(cls, registration: SystemRegistration) -> SystemView:
        return cls.of(registration.system, registration.webhook_secret)


class WebhookSecretView(BaseModel):
    """A system's new webhook signing secret, shown once, and how long the one before still signs."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    system_id: str
    webhook_secret: str = Field(description="The new signing secret (whsec_...); returned only here")
    previous_secrets_valid_until: datetime | None = Field(
        default=None,
        description="Until when deliveries are also signed with the secret(s) this one replaces",
    )

    @classmethod
    def of(cls, registration: SystemRegistration) -> WebhookSecretView:
        if registration.webhook_secret is None:
            raise ValueError("a rotation always returns its new secret")
        retired = [k.not_after for k in registration.system.webhook_keys if k.not_after is not None]
        return cls(
            system_id=registration.system.id,
            webhook_secret=registration.webhook_secret,
            previous_secrets_valid_until=max(retired, default=None),
        )


class RequestView(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    id: str
    external_ref: str
    system_id: str
    party_org_no: str
    integration_title: str
    rights: list[Right] = Field(default_factory=list)
    access_packages: list[AccessPackageRef] = Field(default_factory=list)
    status: RequestStatus
    redirect_url: str | None = None
    confirm_url: str
    escalated: bool = False
    created: datetime
    timed_out: bool = False

    @classmethod
    def of(cls, request: AccessRequest, urls: PublicUrls) -> RequestView:
        """The view of a request as the use cases return it (its status already as of now)."""
        return cls(
            id=request.id,
            external_ref=request.external_ref,
            system_id=request.system_id,
            party_org_no=request.party_org_no,
            integration_title=request.integration_title,
            rights=[
                Right(resource=(ResourceAttribute(id=RESOURCE_ATTRIBUTE, value=r),)) for r in request.rights
            ],
            access_packages=[AccessPackageRef(urn=p) for p in request.access_packages],
            status=request.status,
            redirect_url=request.redirect_url,
            confirm_url=urls.confirm(request),
            escalated=request.escalated,
            created=request.created,
            timed_out=request.status == "Timedout",
        )


class RequestPage(BaseModel):
    links: dict[str, str | None]
    data: list[RequestView]

    @classmethod
    def of(cls, found: RequestSlice, urls: PublicUrls, path: str) -> RequestPage:
        return cls(
            links={"next": urls.next_page(path, found)},
            data=[RequestView.of(r, urls) for r in found.requests],
        )


def system_access_json(found: FoundAccess) -> dict[str, object]:
    """Altinn's system user document (untyped in the OpenAPI document, as it always was)."""
    access = found.access
    return {
        "id": access.id,
        "integrationTitle": access.integration_title,
        "systemId": access.system_id,
        "reporteeOrgNo": access.party_org_no,
        "created": access.created.isoformat(),
        "isDeleted": access.is_deleted,
        "supplierOrgno": access.vendor_org_no,
        "externalRef": access.external_ref,
        "userType": access.request_type.value,
        "rights": list(access.rights),
        "accessPackages": list(access.access_packages),
        "supplierName": found.supplier_name,
    }


def clients_json(access_id: str, clients: list[Client]) -> dict[str, object]:
    """The clients of a system user, in Altinn's paged shape (always one page)."""
    return {
        "systemUserId": access_id,
        "links": {},
        "data": [{"orgNo": c.org_no, "name": c.name} for c in clients],
    }

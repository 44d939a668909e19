"""The vendor API's JSON shapes, as Altinn names them (camelCase), and how records become them.

The request bodies are the domain's specs under the names the OpenAPI document has always
used; the views are built from the domain's records here and only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.events import RequestType
from shared.world import RESOURCE_ATTRIBUTE

from ..domain.accesses import Client, SystemAccess
from ..domain.paging import AccessSlice, RequestSlice
from ..domain.references import AccessPackageRef, ResourceAttribute, Right
from ..domain.request_specs import AgentRequestSpec, StandardRequestSpec
from ..domain.requests import AccessRequest, RequestStatus
from ..domain.system_changes import ChangeType, SystemChange
from ..domain.systems import RegisteredSystem, SystemSpec
from ..services.accesses import AccessPage, FoundAccess
from ..services.system_register import SystemRegistration

__all__ = [
    "AccessPackagesBody",
    "AgentRequestBody",
    "PublicUrls",
    "RequestPage",
    "RequestView",
    "RightsBody",
    "StandardRequestBody",
    "SystemBody",
    "SystemChangeView",
    "SystemUserPage",
    "SystemUserView",
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

    def next_page(self, path: str, found: RequestSlice | AccessSlice) -> str | None:
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


RightsBody = Annotated[list[Right], Field(max_length=100)]
"""The new rights of a system (``PUT systemregister/vendor/{id}/rights``), as in the system body."""
AccessPackagesBody = Annotated[list[AccessPackageRef], Field(max_length=100)]
"""The new access packages of a system (``PUT .../accesspackages``), as in the system body."""


class SystemChangeView(BaseModel):
    """One entry of a system's change log, as Altinn's ``SystemChangeLog`` names it (the system is
    named by its id: this register has no internal id)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    system_id: str
    changed_by_org_number: str
    change_type: ChangeType
    changed_data: Any = Field(
        default=None,
        description="What the change set: the system (create, update), its rights or its packages",
    )
    client_id: str | None = Field(default=None, description="The Maskinporten client that made the change")
    created: datetime

    @classmethod
    def of(cls, change: SystemChange) -> SystemChangeView:
        return cls(
            system_id=change.system_id,
            changed_by_org_number=change.changed_by_org_no,
            change_type=change.change_type,
            changed_data=change.changed_data,
            client_id=change.client_id,
            created=change.created,
        )


class SystemUserView(BaseModel):
    """Altinn's system user document (a system access), as ``byquery`` also answers it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str
    integration_title: str
    system_id: str
    reportee_org_no: str
    created: datetime
    is_deleted: bool
    supplier_orgno: str
    external_ref: str
    user_type: RequestType
    rights: list[str]
    access_packages: list[str]
    supplier_name: str

    @classmethod
    def of(cls, access: SystemAccess, supplier_name: str) -> SystemUserView:
        return cls(
            id=access.id,
            integration_title=access.integration_title,
            system_id=access.system_id,
            reportee_org_no=access.party_org_no,
            created=access.created,
            is_deleted=access.is_deleted,
            supplier_orgno=access.vendor_org_no,
            external_ref=access.external_ref,
            user_type=access.request_type,
            rights=list(access.rights),
            access_packages=list(access.access_packages),
            supplier_name=supplier_name,
        )


class SystemUserPage(BaseModel):
    """A page of a system's system users: ``links.next`` continues the list (null on the last)."""

    links: dict[str, str | None]
    data: list[SystemUserView]

    @classmethod
    def of(cls, page: AccessPage, urls: PublicUrls, path: str) -> SystemUserPage:
        return cls(
            links={"next": urls.next_page(path, page.found)},
            data=[SystemUserView.of(a, page.supplier_name) for a in page.found.accesses],
        )

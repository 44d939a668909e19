"""HTTP routes of change requests (Altinn's ``systemuser/changerequest/vendor``) and their JSON shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.world import RESOURCE_ATTRIBUTE

from ..domain.change_requests import ChangeRequest, ChangeRequestSpec, ChangeRequestStatus, ChangeSlice
from ..domain.references import AccessPackageRef, ResourceAttribute, Right
from ..domain.requests import NaturalKey
from ..services.change_requests import OpenedChange
from .api import API_PREFIX, PROBLEMS
from .deps import ChangeRequestsDep, RequestReader, RequestWriter, Urls
from .schemas import PublicUrls

__all__ = ["ChangeRequestBody", "ChangeRequestPage", "ChangeRequestView", "router"]

router = APIRouter(prefix=API_PREFIX, responses=PROBLEMS, tags=["changerequests"])

BASE = "/systemuser/changerequest/vendor"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CorrelationId = Annotated[str, Query(alias="correlation-id", min_length=36, max_length=36, pattern=_UUID)]
SystemUserId = Annotated[str, Query(alias="system-user-id", min_length=36, max_length=36, pattern=_UUID)]
PageToken = Annotated[str | None, Query(max_length=200)]


class ChangeRequestBody(ChangeRequestSpec):
    """Rights and packages the system user must hold and must not hold; everything else stays."""


def _rights(ids: tuple[str, ...]) -> list[Right]:
    return [Right(resource=(ResourceAttribute(id=RESOURCE_ATTRIBUTE, value=r),)) for r in ids]


def _packages(urns: tuple[str, ...]) -> list[AccessPackageRef]:
    return [AccessPackageRef(urn=p) for p in urns]


def location(urls: PublicUrls, change: ChangeRequest) -> str:
    return f"{urls.api_base_url}{API_PREFIX}{BASE}/{change.id}"


def confirm_url(urls: PublicUrls, change: ChangeRequest) -> str:
    return f"{urls.portal_base_url}/accessmanagement/ui/systemuser/changerequest?id={change.id}"


class ChangeRequestView(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    id: str = Field(description="The vendor's correlation id")
    external_ref: str
    system_id: str
    system_user_id: str
    party_org_no: str
    required_rights: list[Right] = Field(default_factory=list)
    unwanted_rights: list[Right] = Field(default_factory=list)
    required_access_packages: list[AccessPackageRef] = Field(default_factory=list)
    unwanted_access_packages: list[AccessPackageRef] = Field(default_factory=list)
    status: ChangeRequestStatus
    redirect_url: str | None = None
    confirm_url: str | None = Field(
        default=None, description="Where the party approves it; null when no change is needed"
    )
    created: datetime
    timed_out: bool = False

    @classmethod
    def of(cls, change: ChangeRequest, urls: PublicUrls) -> ChangeRequestView:
        return cls(
            id=change.id,
            external_ref=change.external_ref,
            system_id=change.system_id,
            system_user_id=change.system_user_id,
            party_org_no=change.party_org_no,
            required_rights=_rights(change.required_rights),
            unwanted_rights=_rights(change.unwanted_rights),
            required_access_packages=_packages(change.required_access_packages),
            unwanted_access_packages=_packages(change.unwanted_access_packages),
            status=change.status,
            redirect_url=change.redirect_url,
            confirm_url=None if change.status == "NoChangeNeeded" else confirm_url(urls, change),
            created=change.created,
            timed_out=change.status == "Timedout",
        )


class ChangeRequestPage(BaseModel):
    links: dict[str, str | None]
    data: list[ChangeRequestView]

    @classmethod
    def of(cls, found: ChangeSlice, urls: PublicUrls, path: str) -> ChangeRequestPage:
        next_link = f"{urls.api_base_url}{path}?token={found.next.to_token()}" if found.next else None
        return cls(
            links={"next": next_link}, data=[ChangeRequestView.of(c, urls) for c in found.change_requests]
        )


def _opened(opened: OpenedChange, urls: PublicUrls, response: Response) -> ChangeRequestView:
    """201 with a new change request; 200 with the one stored under the same correlation id, or
    with status NoChangeNeeded (nothing stored)."""
    change = opened.change_request
    response.status_code = 201 if opened.created else 200
    if change.status != "NoChangeNeeded":
        response.headers["Location"] = location(urls, change)
    return ChangeRequestView.of(change, urls)


@router.post(BASE, status_code=201, response_model=ChangeRequestView)
async def create_change_request(
    body: ChangeRequestBody,
    vendor: RequestWriter,
    changes: ChangeRequestsDep,
    urls: Urls,
    response: Response,
    correlation_id: CorrelationId,
    system_user_id: SystemUserId,
) -> ChangeRequestView:
    opened = await changes.open(body, correlation_id, system_user_id, vendor.org_no)
    return _opened(opened, urls, response)


@router.get(
    f"{BASE}/byexternalref/{{system_id}}/{{org_no}}/{{external_ref}}", response_model=ChangeRequestView
)
async def get_change_request_by_ref(
    system_id: str,
    org_no: str,
    external_ref: str,
    vendor: RequestReader,
    changes: ChangeRequestsDep,
    urls: Urls,
) -> ChangeRequestView:
    key = NaturalKey(system_id, org_no, external_ref)
    return ChangeRequestView.of(await changes.find(key, vendor.org_no), urls)


@router.get(f"{BASE}/bysystem/{{system_id}}", response_model=ChangeRequestPage)
async def list_change_requests(
    system_id: str,
    vendor: RequestReader,
    changes: ChangeRequestsDep,
    urls: Urls,
    request: Request,
    token: PageToken = None,
) -> ChangeRequestPage:
    found = await changes.page(system_id, vendor.org_no, token)
    return ChangeRequestPage.of(found, urls, request.url.path)


@router.get(f"{BASE}/{{change_request_id}}", response_model=ChangeRequestView)
async def get_change_request(
    change_request_id: str, vendor: RequestReader, changes: ChangeRequestsDep, urls: Urls
) -> ChangeRequestView:
    return ChangeRequestView.of(await changes.get(change_request_id, vendor.org_no), urls)


@router.delete(f"{BASE}/{{change_request_id}}", status_code=202)
async def delete_change_request(
    change_request_id: str, vendor: RequestWriter, changes: ChangeRequestsDep
) -> dict[str, bool]:
    await changes.withdraw(change_request_id, vendor.org_no)
    return {"withdrawn": True}

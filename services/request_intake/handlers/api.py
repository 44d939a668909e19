"""HTTP routes of the vendor API (Altinn-compatible paths under /authentication/api/v1).

Each route reads its input, calls one use case and shapes the answer; refusals raised by
the use cases become problem+json in ``problems``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from shared.events import RequestType
from shared.problems import PROBLEM_JSON

from ..domain.paging import TOKEN_PATTERN
from ..domain.references import ORG_NO_PATTERN
from ..domain.requests import NaturalKey
from ..services.requests import OpenedRequest
from .deps import Accesses, RegisterWriter, RequestReader, Requests, RequestWriter, Systems, Urls
from .schemas import (
    AccessPackagesBody,
    AgentRequestBody,
    PublicUrls,
    RequestPage,
    RequestView,
    RightsBody,
    StandardRequestBody,
    SystemBody,
    SystemChangeView,
    SystemUserPage,
    SystemView,
    WebhookSecretView,
    clients_json,
    system_access_json,
)

__all__ = ["API_PREFIX", "router"]

PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"description": "Problem details", "content": {PROBLEM_JSON: {}}} for code in (400, 401, 403, 404)
}

API_PREFIX = "/authentication/api/v1"
router = APIRouter(prefix=API_PREFIX, responses=PROBLEMS)

SystemIdQuery = Annotated[str, Query(alias="system-id", min_length=1, max_length=255)]
PageToken = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The continuation token from the previous page's links.next",
        # Checked by the paging rule, which refuses a bad token with its own code (AUTH.VLD-TOKEN).
        json_schema_extra={"pattern": TOKEN_PATTERN},
    ),
]
OrgNoQuery = Annotated[
    str,
    Query(min_length=1, max_length=32, json_schema_extra={"pattern": ORG_NO_PATTERN}),
]

# -- system register ---------------------------------------------------------------------------


@router.post(
    "/systemregister/vendor",
    status_code=201,
    response_model=SystemView,
    response_model_by_alias=True,
    tags=["systemregister"],
)
async def register_system(body: SystemBody, vendor: RegisterWriter, systems: Systems) -> SystemView:
    return SystemView.of_registration(await systems.register(body, vendor.org_no, vendor.client_id))


@router.get("/systemregister/vendor", response_model=list[SystemView], tags=["systemregister"])
async def list_systems(vendor: RegisterWriter, systems: Systems) -> list[SystemView]:
    return [SystemView.of(s) for s in await systems.list_for_vendor(vendor.org_no)]


@router.get("/systemregister/vendor/{system_id}", response_model=SystemView, tags=["systemregister"])
async def get_system(system_id: str, vendor: RegisterWriter, systems: Systems) -> SystemView:
    return SystemView.of(await systems.get(system_id, vendor.org_no))


@router.put("/systemregister/vendor/{system_id}", response_model=SystemView, tags=["systemregister"])
async def replace_system(
    system_id: str, body: SystemBody, vendor: RegisterWriter, systems: Systems
) -> SystemView:
    return SystemView.of_registration(await systems.replace(system_id, body, vendor.org_no, vendor.client_id))


@router.post(
    "/systemregister/vendor/{system_id}/webhooksecret/rotate",
    response_model=WebhookSecretView,
    response_model_by_alias=True,
    tags=["systemregister"],
)
async def rotate_webhook_secret(
    system_id: str, vendor: RegisterWriter, systems: Systems
) -> WebhookSecretView:
    """Extension: a new signing secret for the system's webhook, returned once. Until the grace
    period ends, deliveries carry a signature with the old secret too."""
    return WebhookSecretView.of(await systems.rotate_webhook_secret(system_id, vendor.org_no))


@router.delete("/systemregister/vendor/{system_id}", status_code=200, tags=["systemregister"])
async def delete_system(system_id: str, vendor: RegisterWriter, systems: Systems) -> dict[str, bool]:
    await systems.delete(system_id, vendor.org_no, vendor.client_id)
    return {"deleted": True}


# -- requests ----------------------------------------------------------------------------------


def _opened(opened: OpenedRequest, urls: PublicUrls, response: Response) -> RequestView:
    """201 with the new request, or 200 with the pending one a repeated POST found."""
    response.status_code = 201 if opened.created else 200
    response.headers["Location"] = urls.request(opened.request)
    return RequestView.of(opened.request, urls)


@router.post("/systemuser/request/vendor", status_code=201, response_model=RequestView, tags=["requests"])
async def create_request(
    body: StandardRequestBody, vendor: RequestWriter, requests: Requests, urls: Urls, response: Response
) -> RequestView:
    return _opened(await requests.open(body, vendor.org_no), urls, response)


@router.post(
    "/systemuser/request/vendor/agent",
    status_code=201,
    response_model=RequestView,
    tags=["requests"],
)
async def create_agent_request(
    body: AgentRequestBody, vendor: RequestWriter, requests: Requests, urls: Urls, response: Response
) -> RequestView:
    return _opened(await requests.open(body, vendor.org_no), urls, response)


@router.get(
    "/systemuser/request/vendor/agent/byexternalref/{system_id}/{org_no}/{external_ref}",
    response_model=RequestView,
    tags=["requests"],
)
async def get_agent_request_by_ref(
    system_id: str, org_no: str, external_ref: str, vendor: RequestReader, requests: Requests, urls: Urls
) -> RequestView:
    key = NaturalKey(system_id, org_no, external_ref)
    return RequestView.of(await requests.find(key, vendor.org_no, RequestType.AGENT), urls)


@router.get(
    "/systemuser/request/vendor/agent/bysystem/{system_id}",
    response_model=RequestPage,
    tags=["requests"],
)
async def list_agent_requests(
    system_id: str,
    vendor: RequestReader,
    requests: Requests,
    urls: Urls,
    request: Request,
    token: PageToken = None,
) -> RequestPage:
    found = await requests.page(system_id, vendor.org_no, RequestType.AGENT, token)
    return RequestPage.of(found, urls, request.url.path)


@router.get("/systemuser/request/vendor/agent/{request_id}", response_model=RequestView, tags=["requests"])
async def get_agent_request(
    request_id: str, vendor: RequestReader, requests: Requests, urls: Urls
) -> RequestView:
    return RequestView.of(await requests.get(request_id, vendor.org_no, RequestType.AGENT), urls)


@router.get(
    "/systemuser/request/vendor/byexternalref/{system_id}/{org_no}/{external_ref}",
    response_model=RequestView,
    tags=["requests"],
)
async def get_request_by_ref(
    system_id: str, org_no: str, external_ref: str, vendor: RequestReader, requests: Requests, urls: Urls
) -> RequestView:
    key = NaturalKey(system_id, org_no, external_ref)
    return RequestView.of(await requests.find(key, vendor.org_no, RequestType.STANDARD), urls)


@router.get("/systemuser/request/vendor/bysystem/{system_id}", response_model=RequestPage, tags=["requests"])
async def list_requests(
    system_id: str,
    vendor: RequestReader,
    requests: Requests,
    urls: Urls,
    request: Request,
    token: PageToken = None,
) -> RequestPage:
    found = await requests.page(system_id, vendor.org_no, RequestType.STANDARD, token)
    return RequestPage.of(found, urls, request.url.path)


@router.get("/systemuser/request/vendor/{request_id}", response_model=RequestView, tags=["requests"])
async def get_request(request_id: str, vendor: RequestReader, requests: Requests, urls: Urls) -> RequestView:
    return RequestView.of(await requests.get(request_id, vendor.org_no, RequestType.STANDARD), urls)


@router.delete("/systemuser/request/vendor/{request_id}", status_code=202, tags=["requests"])
async def withdraw_request(request_id: str, vendor: RequestWriter, requests: Requests) -> dict[str, bool]:
    await requests.withdraw(request_id, vendor.org_no)
    return {"withdrawn": True}


# -- system users (accesses) -------------------------------------------------------------------


@router.get("/systemuser/vendor/{system_user_id}/clients", tags=["systemusers"])
async def clients_of_system_user(
    system_user_id: str, vendor: RequestReader, accesses: Accesses
) -> dict[str, object]:
    return clients_json(system_user_id, await accesses.clients(system_user_id, vendor.org_no))


@router.get("/systemuser/vendor/byquery", tags=["systemusers"])
async def system_access_by_query(
    vendor: RequestWriter,
    accesses: Accesses,
    system_id: SystemIdQuery,
    orgno: OrgNoQuery,
    external_ref: Annotated[str | None, Query(alias="external-ref", max_length=255)] = None,
) -> dict[str, object]:
    key = NaturalKey(system_id, orgno, external_ref or orgno)
    return system_access_json(await accesses.find(key, vendor.org_no))


# -- system register: rights, packages, change log; system users per system --------------------


@router.put(
    "/systemregister/vendor/{system_id}/rights",
    response_model=SystemView,
    response_model_by_alias=True,
    tags=["systemregister"],
)
async def replace_system_rights(
    system_id: str, rights: RightsBody, vendor: RegisterWriter, systems: Systems
) -> SystemView:
    """Replace the system's rights; the system is checked as a whole, as when it was registered."""
    return SystemView.of(await systems.replace_rights(system_id, rights, vendor.org_no, vendor.client_id))


@router.put(
    "/systemregister/vendor/{system_id}/accesspackages",
    response_model=SystemView,
    response_model_by_alias=True,
    tags=["systemregister"],
)
async def replace_system_access_packages(
    system_id: str, access_packages: AccessPackagesBody, vendor: RegisterWriter, systems: Systems
) -> SystemView:
    """Replace the system's access packages; checked as at registration (a visible system holds
    no client packages; a package must be assignable or delegable)."""
    changed = await systems.replace_access_packages(
        system_id, access_packages, vendor.org_no, vendor.client_id
    )
    return SystemView.of(changed)


@router.get(
    "/systemregister/vendor/{system_id}/changelog",
    response_model=list[SystemChangeView],
    response_model_by_alias=True,
    tags=["systemregister"],
)
async def system_changelog(
    system_id: str, vendor: RegisterWriter, systems: Systems
) -> list[SystemChangeView]:
    """Every change to the system, oldest first: create, update, rights, packages."""
    return [SystemChangeView.of(c) for c in await systems.changelog(system_id, vendor.org_no)]


@router.get(
    "/systemuser/vendor/bysystem/{system_id}",
    response_model=SystemUserPage,
    response_model_by_alias=True,
    tags=["systemusers"],
)
async def system_users_of_system(
    system_id: str,
    vendor: RegisterWriter,
    accesses: Accesses,
    urls: Urls,
    request: Request,
    token: PageToken = None,
) -> SystemUserPage:
    """The live system users (standard and agent) of the vendor's system, oldest first, a page at a
    time; ``links.next`` holds the next page's URL with its continuation token."""
    page = await accesses.page(system_id, vendor.org_no, token)
    return SystemUserPage.of(page, urls, request.url.path)

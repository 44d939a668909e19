"""HTTP routes of the vendor API (Altinn-compatible paths under /authentication/api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from shared.events import RequestType
from shared.problems import PROBLEM_JSON

from .auth import (
    SCOPE_REGISTER_WRITE,
    SCOPE_REQUEST_READ,
    SCOPE_REQUEST_WRITE,
    Vendor,
    require_scope,
)
from .schemas import (
    AgentRequestBody,
    RequestPage,
    RequestView,
    StandardRequestBody,
    SystemBody,
    SystemView,
)
from .service import IntakeService

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": "Problem details", "content": {PROBLEM_JSON: {}}} for code in (400, 401, 403, 404)
}

router = APIRouter(prefix="/authentication/api/v1", responses=PROBLEMS)

RegisterWriter = Annotated[Vendor, Depends(require_scope(SCOPE_REGISTER_WRITE))]
RequestWriter = Annotated[Vendor, Depends(require_scope(SCOPE_REQUEST_WRITE))]
RequestReader = Annotated[Vendor, Depends(require_scope(SCOPE_REQUEST_READ))]


def service(request: Request) -> IntakeService:
    return request.app.state.service  # type: ignore[no-any-return]


Service = Annotated[IntakeService, Depends(service)]
SystemId = Annotated[str, Query(alias="system-id", min_length=1, max_length=255)]


@router.post(
    "/systemregister/vendor",
    status_code=201,
    response_model=SystemView,
    response_model_by_alias=True,
    tags=["systemregister"],
)
async def register_system(body: SystemBody, vendor: RegisterWriter, svc: Service) -> SystemView:
    return await svc.register_system(body, vendor.org_no)


@router.get("/systemregister/vendor", response_model=list[SystemView], tags=["systemregister"])
async def list_systems(vendor: RegisterWriter, svc: Service) -> list[SystemView]:
    return await svc.list_systems(vendor.org_no)


@router.get("/systemregister/vendor/{system_id}", response_model=SystemView, tags=["systemregister"])
async def get_system(system_id: str, vendor: RegisterWriter, svc: Service) -> SystemView:
    return await svc.get_system(system_id, vendor.org_no)


@router.put("/systemregister/vendor/{system_id}", response_model=SystemView, tags=["systemregister"])
async def replace_system(
    system_id: str, body: SystemBody, vendor: RegisterWriter, svc: Service
) -> SystemView:
    return await svc.replace_system(system_id, body, vendor.org_no)


@router.delete("/systemregister/vendor/{system_id}", status_code=200, tags=["systemregister"])
async def delete_system(system_id: str, vendor: RegisterWriter, svc: Service) -> dict[str, bool]:
    await svc.delete_system(system_id, vendor.org_no)
    return {"deleted": True}


async def _create(
    body: StandardRequestBody | AgentRequestBody,
    vendor: Vendor,
    svc: IntakeService,
    response: Response,
) -> RequestView:
    view, created = await svc.create_request(body, vendor.org_no)
    response.status_code = 201 if created else 200
    path = "agent/" if isinstance(body, AgentRequestBody) else ""
    response.headers["Location"] = (
        f"{svc.public_base_url}/authentication/api/v1/systemuser/request/vendor/{path}{view.id}"
    )
    return view


@router.post("/systemuser/request/vendor", status_code=201, response_model=RequestView, tags=["requests"])
async def create_request(
    body: StandardRequestBody, vendor: RequestWriter, svc: Service, response: Response
) -> RequestView:
    return await _create(body, vendor, svc, response)


@router.post(
    "/systemuser/request/vendor/agent",
    status_code=201,
    response_model=RequestView,
    tags=["requests"],
)
async def create_agent_request(
    body: AgentRequestBody, vendor: RequestWriter, svc: Service, response: Response
) -> RequestView:
    return await _create(body, vendor, svc, response)


@router.get(
    "/systemuser/request/vendor/agent/byexternalref/{system_id}/{org_no}/{external_ref}",
    response_model=RequestView,
    tags=["requests"],
)
async def get_agent_request_by_ref(
    system_id: str, org_no: str, external_ref: str, vendor: RequestReader, svc: Service
) -> RequestView:
    return await svc.find_request(system_id, org_no, external_ref, vendor.org_no, RequestType.AGENT)


@router.get(
    "/systemuser/request/vendor/agent/bysystem/{system_id}",
    response_model=RequestPage,
    tags=["requests"],
)
async def list_agent_requests(
    system_id: str,
    vendor: RequestReader,
    svc: Service,
    request: Request,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> RequestPage:
    return await svc.list_requests(system_id, vendor.org_no, RequestType.AGENT, token, request.url.path)


@router.get("/systemuser/request/vendor/agent/{request_id}", response_model=RequestView, tags=["requests"])
async def get_agent_request(request_id: str, vendor: RequestReader, svc: Service) -> RequestView:
    return await svc.get_request(request_id, vendor.org_no, RequestType.AGENT)


@router.get(
    "/systemuser/request/vendor/byexternalref/{system_id}/{org_no}/{external_ref}",
    response_model=RequestView,
    tags=["requests"],
)
async def get_request_by_ref(
    system_id: str, org_no: str, external_ref: str, vendor: RequestReader, svc: Service
) -> RequestView:
    return await svc.find_request(system_id, org_no, external_ref, vendor.org_no, RequestType.STANDARD)


@router.get("/systemuser/request/vendor/bysystem/{system_id}", response_model=RequestPage, tags=["requests"])
async def list_requests(
    system_id: str,
    vendor: RequestReader,
    svc: Service,
    request: Request,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> RequestPage:
    return await svc.list_requests(system_id, vendor.org_no, RequestType.STANDARD, token, request.url.path)


@router.get("/systemuser/request/vendor/{request_id}", response_model=RequestView, tags=["requests"])
async def get_request(request_id: str, vendor: RequestReader, svc: Service) -> RequestView:
    return await svc.get_request(request_id, vendor.org_no, RequestType.STANDARD)


@router.delete("/systemuser/request/vendor/{request_id}", status_code=202, tags=["requests"])
async def withdraw_request(request_id: str, vendor: RequestWriter, svc: Service) -> dict[str, bool]:
    await svc.withdraw_request(request_id, vendor.org_no)
    return {"withdrawn": True}


@router.get("/systemuser/vendor/{system_user_id}/clients", tags=["systemusers"])
async def clients_of_system_user(system_user_id: str, vendor: RequestReader, svc: Service) -> dict[str, Any]:
    return await svc.clients(system_user_id, vendor.org_no)


@router.get("/systemuser/vendor/byquery", tags=["systemusers"])
async def system_access_by_query(
    vendor: RequestWriter,
    svc: Service,
    system_id: SystemId,
    orgno: Annotated[str, Query(min_length=1, max_length=32)],
    external_ref: Annotated[str | None, Query(alias="external-ref", max_length=255)] = None,
) -> dict[str, Any]:
    return await svc.find_access(system_id, orgno, external_ref or orgno, vendor.org_no)

"""Pages and BFF routes for the clients of a client system access, and for deleting an access."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request, Response
from fastapi.responses import RedirectResponse

from shared.orgno import is_valid_org_no
from shared.problems import Problem

from .client_admin import ClientView
from .web import (
    BFF,
    HOME,
    UI,
    Ctx,
    Lang,
    MaybeSession,
    _login_redirect,
    _refusal,
    _render,
    _require_csrf,
    _require_form_csrf,
)
from .web import _require_session as require_session

pages = APIRouter(prefix=f"{UI}/systemuser", include_in_schema=False)
bff = APIRouter(prefix=f"{BFF}/systemuser", tags=["bff"])

OrgNos = Annotated[str | list[str], Body(description="One client organisation number, or a list")]


def _org_list(value: str | list[str]) -> list[str]:
    values = [value] if isinstance(value, str) else value
    bad = [v for v in values if not is_valid_org_no(v)]
    if bad:
        raise Problem(400, "Invalid organisation number", ", ".join(bad[:5]), code="AUTH.VLD-CLIENTS")
    return values


async def _described(view: ClientView, context: Any) -> dict[str, Any]:
    names = {c.org_no: await context.directory.org_name(c.org_no) for c in view.candidates}
    for org_no in view.current:
        names.setdefault(org_no, await context.directory.org_name(org_no))
    return {
        "addable": [
            {"orgNo": c.org_no, "name": names[c.org_no], "relation": c.relation}
            for c in view.candidates
            if c.addable and c.org_no not in view.current
        ],
        "notAddable": [
            {"orgNo": c.org_no, "name": names[c.org_no], "missingPackages": list(c.missing_packages)}
            for c in view.candidates
            if not c.addable
        ],
        "current": [{"orgNo": o, "name": names[o]} for o in view.current],
    }


@pages.get("/agentdelegation/{access_id}")
async def clients_page(
    request: Request, access_id: str, party: str, context: Ctx, lang: Lang, session: MaybeSession
) -> Response:
    if session is None or session.pid is None:
        return _login_redirect(request)
    person = await context.directory.person(session.pid)
    try:
        view = await context.clients.view(party, access_id, session.pid)
    except Problem as problem:
        return _refusal(request, lang, session, problem, person)
    return _render(
        request,
        "clients.html",
        lang,
        session,
        person=person,
        access=view.access,
        party=party,
        lists=await _described(view, context),
    )


@pages.post("/agentdelegation/{access_id}/{action}")
async def change_clients_from_page(
    access_id: str,
    action: str,
    context: Ctx,
    session: MaybeSession,
    party: Annotated[str, Form(max_length=9)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    client: Annotated[list[str] | None, Form(max_length=1000)] = None,
) -> Response:
    active = _require_form_csrf(session, csrf_token)
    assert active.pid is not None
    org_nos = _org_list(client or [])
    if action == "add":
        await context.clients.add(party, access_id, active.pid, org_nos)
    elif action == "remove":
        await context.clients.remove(party, access_id, active.pid, org_nos)
    else:
        raise Problem(404, "Not Found")
    return RedirectResponse(f"{UI}/systemuser/agentdelegation/{access_id}?party={party}", status_code=303)


@pages.post("/{access_id}/delete")
async def delete_from_page(
    access_id: str,
    context: Ctx,
    session: MaybeSession,
    party: Annotated[str, Form(max_length=9)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    active = _require_form_csrf(session, csrf_token)
    assert active.pid is not None
    await context.clients.delete(party, access_id, active.pid)
    return RedirectResponse(f"{HOME}?party={party}", status_code=303)


@bff.get("/agentdelegation/{party_id}/{access_id}/customers")
async def customers(party_id: str, access_id: str, context: Ctx, session: MaybeSession) -> dict[str, Any]:
    active = require_session(session)
    assert active.pid is not None
    described = await _described(await context.clients.view(party_id, access_id, active.pid), context)
    return {"addable": described["addable"], "notAddable": described["notAddable"]}


@bff.get("/agentdelegation/{party_id}/{access_id}/delegation")
async def delegations(
    party_id: str, access_id: str, context: Ctx, session: MaybeSession
) -> list[dict[str, Any]]:
    active = require_session(session)
    assert active.pid is not None
    current: list[dict[str, Any]] = (
        await _described(await context.clients.view(party_id, access_id, active.pid), context)
    )["current"]
    return current


@bff.post("/agentdelegation/{party_id}/{access_id}/delegation")
async def add_clients(
    request: Request, party_id: str, access_id: str, body: OrgNos, context: Ctx, session: MaybeSession
) -> dict[str, Any]:
    active = require_session(session)
    _require_csrf(request, active)
    assert active.pid is not None
    added = await context.clients.add(party_id, access_id, active.pid, _org_list(body))
    return {"added": added}


@bff.delete("/agentdelegation/{party_id}/{access_id}/delegation/{client_org_no}")
async def remove_client(
    request: Request, party_id: str, access_id: str, client_org_no: str, context: Ctx, session: MaybeSession
) -> dict[str, Any]:
    active = require_session(session)
    _require_csrf(request, active)
    assert active.pid is not None
    removed = await context.clients.remove(party_id, access_id, active.pid, _org_list(client_org_no))
    return {"removed": removed}


@bff.delete("/agentdelegation/{party_id}/{access_id}/delegation")
async def remove_clients(
    request: Request, party_id: str, access_id: str, body: OrgNos, context: Ctx, session: MaybeSession
) -> dict[str, Any]:
    active = require_session(session)
    _require_csrf(request, active)
    assert active.pid is not None
    removed = await context.clients.remove(party_id, access_id, active.pid, _org_list(body))
    return {"removed": removed}


@bff.delete("/{party_id}/{access_id}")
async def delete_access(
    request: Request, party_id: str, access_id: str, context: Ctx, session: MaybeSession
) -> dict[str, bool]:
    active = require_session(session)
    _require_csrf(request, active)
    assert active.pid is not None
    await context.clients.delete(party_id, access_id, active.pid)
    return {"deleted": True}

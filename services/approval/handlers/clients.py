"""Pages and BFF routes for the clients of a client system access, and for deleting an access."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Form, Request, Response
from fastapi.responses import RedirectResponse

from shared.orgno import is_valid_org_no
from shared.problems import Problem

from ..domain.refusals import Refused
from ..services.client_admin import ClientView
from .bff import BFF
from .deps import ActiveSession, Context, CsrfSession, Lang, MaybeSession, PortalContext, require_form_csrf
from .pages import UI
from .rendering import login_redirect, refusal_page, render
from .schemas import AddedClients, ClientLists, Customers, Deleted, NamedClient, RemovedClients
from .security import HOME

__all__ = ["bff", "pages"]

pages = APIRouter(prefix=f"{UI}/systemuser", include_in_schema=False)
bff = APIRouter(prefix=f"{BFF}/systemuser", tags=["bff"])

OrgNos = Annotated[str | list[str], Body(description="One client organisation number, or a list")]


def _org_list(value: str | list[str]) -> list[str]:
    values = [value] if isinstance(value, str) else value
    bad = [v for v in values if not is_valid_org_no(v)]
    if bad:
        raise Problem(400, "Invalid organisation number", ", ".join(bad[:5]), code="AUTH.VLD-CLIENTS")
    return values


async def _client_lists(view: ClientView, context: PortalContext) -> ClientLists:
    names = {org_no: await context.directory.org_name(org_no) for org_no in view.org_nos}
    return ClientLists.of(view, names)


@pages.get("/agentdelegation/{access_id}")
async def clients_page(
    request: Request, access_id: str, party: str, context: Context, lang: Lang, session: MaybeSession
) -> Response:
    if session is None or session.pid is None:
        return login_redirect(request)
    person = await context.directory.person(session.pid)
    try:
        view = await context.clients.view(party, access_id, session.pid)
    except Refused as refused:
        return refusal_page(request, lang, session, refused.refusal, person)
    return render(
        request,
        "clients.html",
        lang,
        session,
        person=person,
        access=view.access,
        party=party,
        lists=await _client_lists(view, context),
    )


@pages.post("/agentdelegation/{access_id}/{action}")
async def change_clients_from_page(
    access_id: str,
    action: str,
    context: Context,
    session: MaybeSession,
    party: Annotated[str, Form(max_length=9)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    client: Annotated[list[str] | None, Form(max_length=1000)] = None,
) -> Response:
    active = require_form_csrf(session, csrf_token)
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
    context: Context,
    session: MaybeSession,
    party: Annotated[str, Form(max_length=9)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    active = require_form_csrf(session, csrf_token)
    assert active.pid is not None
    await context.clients.delete(party, access_id, active.pid)
    return RedirectResponse(f"{HOME}?party={party}", status_code=303)


@bff.get("/agentdelegation/{party_id}/{access_id}/customers")
async def customers(party_id: str, access_id: str, context: Context, session: ActiveSession) -> Customers:
    assert session.pid is not None
    lists = await _client_lists(await context.clients.view(party_id, access_id, session.pid), context)
    return Customers(addable=lists.addable, not_addable=lists.not_addable)


@bff.get("/agentdelegation/{party_id}/{access_id}/delegation")
async def delegations(
    party_id: str, access_id: str, context: Context, session: ActiveSession
) -> list[NamedClient]:
    assert session.pid is not None
    view = await context.clients.view(party_id, access_id, session.pid)
    return (await _client_lists(view, context)).current


@bff.post("/agentdelegation/{party_id}/{access_id}/delegation")
async def add_clients(
    party_id: str, access_id: str, body: OrgNos, context: Context, session: CsrfSession
) -> AddedClients:
    assert session.pid is not None
    return AddedClients(added=await context.clients.add(party_id, access_id, session.pid, _org_list(body)))


@bff.delete("/agentdelegation/{party_id}/{access_id}/delegation/{client_org_no}")
async def remove_client(
    party_id: str, access_id: str, client_org_no: str, context: Context, session: CsrfSession
) -> RemovedClients:
    assert session.pid is not None
    removed = await context.clients.remove(party_id, access_id, session.pid, _org_list(client_org_no))
    return RemovedClients(removed=removed)


@bff.delete("/agentdelegation/{party_id}/{access_id}/delegation")
async def remove_clients(
    party_id: str, access_id: str, body: OrgNos, context: Context, session: CsrfSession
) -> RemovedClients:
    assert session.pid is not None
    return RemovedClients(
        removed=await context.clients.remove(party_id, access_id, session.pid, _org_list(body))
    )


@bff.delete("/{party_id}/{access_id}")
async def delete_access(party_id: str, access_id: str, context: Context, session: CsrfSession) -> Deleted:
    assert session.pid is not None
    await context.clients.delete(party_id, access_id, session.pid)
    return Deleted(deleted=True)

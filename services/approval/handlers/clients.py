"""Pages and BFF routes for the clients of a client system access, and the BFF's delete."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from shared.orgno import is_valid_org_no
from shared.problems import Problem

from ..domain.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from ..domain.refusals import Refused
from ..services.client_admin import ClientView, ListPages
from .bff import BFF
from .deps import ActiveSession, Context, CsrfSession, Lang, MaybeSession, PortalContext, require_form_csrf
from .pages import UI
from .rendering import login_redirect, refusal_page, render
from .schemas import AddedClients, ClientLists, Customers, Deleted, NamedClient, RemovedClients

__all__ = ["bff", "pages"]

pages = APIRouter(prefix=f"{UI}/systemuser", include_in_schema=False)
bff = APIRouter(prefix=f"{BFF}/systemuser", tags=["bff"])

OrgNos = Annotated[str | list[str], Body(description="One client organisation number, or a list")]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


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
    request: Request,
    access_id: str,
    party: Annotated[str, Query(max_length=9)],
    context: Context,
    lang: Lang,
    session: MaybeSession,
    q: Annotated[str, Query(max_length=100)] = "",
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    current_page: PageNumber = 1,
    addable_page: PageNumber = 1,
    lacking_page: PageNumber = 1,
) -> Response:
    """Search (``q``, by name or number) and pages of ``size`` for each of the three lists."""
    if session is None or session.pid is None:
        return login_redirect(request)
    person = await context.directory.person(session.pid)
    pages_wanted = ListPages(current_page, addable_page, lacking_page, size)
    try:
        view = await context.clients.page(party, access_id, session.pid, lang, q.strip(), pages_wanted)
    except Refused as refused:
        return refusal_page(request, lang, session, refused.refusal, person)
    return render(request, "clients.html", lang, session, person=person, view=view, party=party)


@pages.post("/agentdelegation/{access_id}/{action}")
async def change_clients_from_page(
    access_id: str,
    action: str,
    context: Context,
    session: MaybeSession,
    party: Annotated[str, Form(max_length=9)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    client: Annotated[list[str] | None, Form(max_length=1000)] = None,
    q: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """add (the ticked clients), add-all (every addable one, one call), add-own, remove."""
    active = require_form_csrf(session, csrf_token)
    assert active.pid is not None
    if action == "add":
        await context.clients.add(party, access_id, active.pid, _org_list(client or []))
    elif action == "add-all":
        await context.clients.add_all(party, access_id, active.pid)
    elif action == "add-own":
        await context.clients.add_own(party, access_id, active.pid)
    elif action == "remove":
        await context.clients.remove(party, access_id, active.pid, _org_list(client or []))
    else:
        raise Problem(404, "Not Found")
    back = urlencode({"party": party, "q": q} if q else {"party": party})
    return RedirectResponse(f"{UI}/systemuser/agentdelegation/{access_id}?{back}", status_code=303)


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


@bff.post("/agentdelegation/{party_id}/{access_id}/delegation/all")
async def add_all_clients(
    party_id: str, access_id: str, context: Context, session: CsrfSession
) -> AddedClients:
    """Every client that can be added, in one call and one change (Altinn's page loops in the browser)."""
    assert session.pid is not None
    return AddedClients(added=await context.clients.add_all(party_id, access_id, session.pid))


@bff.post("/agentdelegation/{party_id}/{access_id}/self")
async def add_own_organisation(
    party_id: str, access_id: str, context: Context, session: CsrfSession
) -> AddedClients:
    """The facilitator as its own client (Altinn's ``self``); every package must be assignable."""
    assert session.pid is not None
    return AddedClients(added=await context.clients.add_own(party_id, access_id, session.pid))


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

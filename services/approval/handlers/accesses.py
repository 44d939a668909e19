"""Pages of one system access: its details and history, and deleting it (confirm first)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from ..domain.refusals import Refused
from .deps import Context, Lang, MaybeSession, PortalContext, require_form_csrf
from .pages import UI
from .rendering import login_redirect, refusal_page, render
from .security import HOME

__all__ = ["pages"]

pages = APIRouter(prefix=f"{UI}/systemuser", include_in_schema=False)

Party = Annotated[str, Query(max_length=9)]


async def _access_page(
    template: str,
    request: Request,
    access_id: uuid.UUID,
    party: str,
    context: PortalContext,
    lang: str,
    session: MaybeSession,
) -> Response:
    if session is None or session.pid is None:
        return login_redirect(request)
    person = await context.directory.person(session.pid)
    try:
        model = await context.details.show(session.pid, party, str(access_id), lang)
    except Refused as refused:
        return refusal_page(request, lang, session, refused.refusal, person)
    return render(request, template, lang, session, person=person, view=model)


@pages.get("/{access_id:uuid}")
async def access_details(
    request: Request, access_id: uuid.UUID, party: Party, context: Context, lang: Lang, session: MaybeSession
) -> Response:
    """Rights, packages and clients by name, and the history built from the events."""
    return await _access_page("access.html", request, access_id, party, context, lang, session)


@pages.get("/{access_id:uuid}/delete")
async def confirm_delete(
    request: Request, access_id: uuid.UUID, party: Party, context: Context, lang: Lang, session: MaybeSession
) -> Response:
    """ "Slett" asks first, and says that the clients go too; the form posts below, with its CSRF token."""
    return await _access_page("delete.html", request, access_id, party, context, lang, session)


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
    return RedirectResponse(f"{HOME}?party={party}&deleted={access_id}", status_code=303)

"""The portal's HTML pages: a request, its decision, the Systemtilganger overview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from shared import events as ev
from shared.problems import Problem

from ..domain.refusals import Refused
from ..domain.sessions import Session
from .deps import Context, Lang, MaybeSession, PortalContext, csrf_refused, enforce, require_form_csrf
from .leaving import end_session_and_redirect
from .rendering import login_redirect, message_page, page_not_shown, refusal_page, render
from .security import HOME
from .texts import texts_for

__all__ = ["KINDS", "UI", "router"]

UI = "/accessmanagement/ui"
KINDS = {"request": ev.RequestType.STANDARD, "agentrequest": ev.RequestType.AGENT}

router = APIRouter(prefix=UI, include_in_schema=False)


@router.get("/loggedout")
async def logged_out(request: Request, lang: Lang) -> Response:
    t = texts_for(lang)
    return message_page(
        request,
        lang,
        None,
        heading=t["logged_out"],
        message=t["logged_out_detail"],
        kind="logged-out",
        status=200,
    )


@router.get("/systemuser/overview")
async def overview(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    party: Annotated[str | None, Query(max_length=9)] = None,
    deleted: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if session is None or session.pid is None:
        return login_redirect(request)
    person = await context.directory.person(session.pid)
    try:
        model = await context.overview.show(session.pid, party, lang, deleted)
    except Refused:
        t = texts_for(lang)
        return message_page(
            request,
            lang,
            session,
            heading=t["forbidden_title"],
            message=t["not_manager"],
            kind="forbidden",
            status=403,
            person=person,
        )
    return render(request, "overview.html", lang, session, person=person, view=model)


@router.post("/inbox/{notification_id}/read")
async def mark_notification_read(
    notification_id: str,
    context: Context,
    session: MaybeSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    active = require_form_csrf(session, csrf_token)
    assert active.pid is not None
    await context.overview.mark_read(active.pid, notification_id)
    return RedirectResponse(HOME, status_code=303)


async def _request_page(
    request: Request,
    kind: str,
    request_id: str,
    context: PortalContext,
    lang: str,
    session: Session | None,
    skip_logout: bool,
) -> Response:
    if session is None or session.pid is None:
        return login_redirect(request)
    t = texts_for(lang)
    person = await context.directory.person(session.pid)
    try:
        model = await context.portal.view(request_id, session.pid, KINDS[kind], lang)
    except Refused as refused:
        return page_not_shown(request, lang, session, refused, person, "not_found")
    return render(
        request,
        "request.html",
        lang,
        session,
        heading=t["agent_heading"] if kind == "agentrequest" else t["request_heading"],
        req=model,
        person=person,
        decide_action=f"{UI}/systemuser/{kind}/decide",
        leave_action=f"{UI}/systemuser/{kind}/{model.id}/leave",
        skip_logout=skip_logout,
    )


@router.get("/systemuser/request")
async def standard_request_page(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Query(max_length=64)],
    skiplogout: bool = False,
) -> Response:
    return await _request_page(request, "request", id, context, lang, session, skiplogout)


@router.get("/systemuser/agentrequest")
async def agent_request_page(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Query(max_length=64)],
    skiplogout: bool = False,
) -> Response:
    return await _request_page(request, "agentrequest", id, context, lang, session, skiplogout)


@router.post("/systemuser/{kind}/decide")
async def decide_from_page(
    request: Request,
    kind: str,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Form(max_length=64)],
    decision: Annotated[ev.Decision, Form()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    skiplogout: Annotated[bool, Form()] = False,
) -> Response:
    if kind not in KINDS:
        raise Problem(404, "Not Found")
    active = require_form_csrf(session, csrf_token)
    assert active.pid is not None
    t = texts_for(lang)
    person = await context.directory.person(active.pid)
    await enforce(context, context.decision_limit, active.pid)
    party = await context.portal.party_of(id)
    try:
        await context.portal.decide(id, party, active.pid, decision, KINDS[kind])
    except Refused as refused:
        return refusal_page(request, lang, active, refused.refusal, person)
    if decision is ev.Decision.ESCALATE:
        return message_page(
            request,
            lang,
            active,
            heading=t["escalated_heading"],
            message=t["escalated_done"],
            kind="escalated",
            status=200,
            leave_action=f"{UI}/systemuser/{kind}/{id}/leave",
            person=person,
        )
    if skiplogout:
        return RedirectResponse(HOME, status_code=303)
    return await end_session_and_redirect(context, active, id)


@router.post("/systemuser/{kind}/{request_id}/leave")
async def leave(
    kind: str,
    request_id: str,
    context: Context,
    session: MaybeSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if session is not None and not session.csrf_matches(csrf_token):
        raise csrf_refused()
    return await end_session_and_redirect(context, session, request_id)

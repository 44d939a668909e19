"""Login and logout through the identity provider (today the development provider)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from shared.problems import Problem

from ..services.portal import LOGGED_OUT_PATH
from .deps import Context, Lang, MaybeSession, csrf_refused, enforce
from .rendering import render
from .security import clear_session_cookie, safe_return_url, set_session_cookie

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    return_url: Annotated[str | None, Query(alias="returnUrl", max_length=2048)] = None,
) -> Response:
    if not context.identity.enabled:
        raise Problem(404, "Not Found", "The login provider is disabled")
    pre_login = session if session is not None and not session.authenticated else None
    if pre_login is None:
        pre_login = await context.sessions.create(pid=None)
    people = await context.identity.choices()
    response = render(
        request, "login.html", lang, pre_login, people=people, return_url=safe_return_url(return_url)
    )
    set_session_cookie(response, pre_login, context)
    return response


@router.post("/login")
async def login(
    request: Request,
    context: Context,
    session: MaybeSession,
    pid: Annotated[str, Form(max_length=11, min_length=11)],
    csrf_token: Annotated[str, Form(max_length=128)],
    return_url: Annotated[str | None, Form(alias="returnUrl", max_length=2048)] = None,
) -> Response:
    if not context.identity.enabled:
        raise Problem(404, "Not Found", "The login provider is disabled")
    await enforce(context, context.login_limit, request.client.host if request.client else "unknown")
    if session is None or not session.csrf_matches(csrf_token):
        raise csrf_refused()
    if await context.identity.authenticate(pid) is None:
        raise Problem(400, "Unknown person", "No such person in the directory")
    # A new session id at login: a cookie planted before login never becomes authenticated.
    await context.sessions.delete(session.id)
    fresh = await context.sessions.create(pid=pid)
    response = RedirectResponse(safe_return_url(return_url), status_code=303)
    set_session_cookie(response, fresh, context)
    return response


@router.post("/logout")
async def logout(
    context: Context, session: MaybeSession, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    if session is not None and not session.csrf_matches(csrf_token):
        raise csrf_refused()
    if session is not None:
        await context.sessions.delete(session.id)
    response = RedirectResponse(LOGGED_OUT_PATH, status_code=303)
    clear_session_cookie(response, context)
    return response

"""Login through the identity provider (OpenID Connect), and logout."""

from __future__ import annotations

import secrets
from typing import Annotated

import structlog
from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from ..domain.login import NO_CODE
from ..domain.refusals import Refused
from ..services.portal import LOGGED_OUT_PATH
from .cookies import LOGIN_COOKIE, LOGOUT_COOKIE
from .deps import Context, Lang, MaybeSession, csrf_refused, enforce
from .leaving import end_session_and_redirect_to
from .rendering import message_page
from .security import safe_return_url, set_session_cookie
from .texts import texts_for

__all__ = ["CALLBACK_PATH", "LOGOUT_COMPLETE_PATH", "router"]

CALLBACK_PATH = "/login/callback"
LOGOUT_COMPLETE_PATH = "/logout/complete"

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login(
    context: Context,
    return_url: Annotated[str | None, Query(alias="returnUrl", max_length=2048)] = None,
) -> Response:
    """Off to the provider; the browser keeps the state, nonce and PKCE verifier in a signed cookie."""
    url, challenge = await context.login.begin(safe_return_url(return_url))
    response = RedirectResponse(url, status_code=303)
    context.cookies.set_login(response, challenge)
    return response


@router.get(CALLBACK_PATH)
async def login_callback(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    await enforce(context, context.login_limit, request.client.host if request.client else "unknown")
    challenge = context.cookies.read_login(request)
    try:
        if error or not code or not state:
            raise Refused(NO_CODE)
        fresh = await context.login.complete(code, state, challenge)
    except Refused as refused:
        log.info(
            "login.refused", code=refused.refusal.code, detail=refused.refusal.detail, provider_error=error
        )
        t = texts_for(lang)
        page: Response = message_page(
            request,
            lang,
            None,
            heading=t["login_failed"],
            message=t["login_failed_detail"],
            kind="login-refused",
            status=403,
        )
        context.cookies.clear(page, LOGIN_COOKIE)
        return page
    assert challenge is not None
    if session is not None:
        await context.sessions.delete(session.id)
    response = RedirectResponse(challenge.return_url, status_code=303)
    context.cookies.clear(response, LOGIN_COOKIE)
    set_session_cookie(response, fresh, context)
    return response


@router.post("/logout")
async def logout(
    context: Context, session: MaybeSession, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    if session is not None and not session.csrf_matches(csrf_token):
        raise csrf_refused()
    return await end_session_and_redirect_to(context, session, LOGGED_OUT_PATH)


@router.get(LOGOUT_COMPLETE_PATH)
async def logout_complete(
    request: Request, context: Context, state: Annotated[str | None, Query(max_length=512)] = None
) -> Response:
    """Back from the provider's logout: on to where the portal meant to send the browser."""
    pending = context.cookies.read_logout(request)
    verified = pending is not None and state is not None and secrets.compare_digest(pending[0], state)
    response = RedirectResponse(pending[1] if pending and verified else LOGGED_OUT_PATH, status_code=303)
    context.cookies.clear(response, LOGOUT_COOKIE)
    return response

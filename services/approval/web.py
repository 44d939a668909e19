"""Portal pages, development login and the JSON BFF (Altinn's shapes under /accessmanagement)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from shared import events as ev
from shared.problems import Problem

from .client_admin import ClientAdministration
from .directory import Directory
from .identity import IdentityProvider
from .inbox import InboxClient
from .portal import LOGGED_OUT_PATH, Portal
from .sessions import COOKIE_NAME, Session, SessionStore
from .texts import LANGUAGES, texts_for

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
UI = "/accessmanagement/ui"
BFF = "/accessmanagement/api/v1"
HOME = f"{UI}/systemuser/overview"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes browsers send Origin: null
    "Cache-Control": "no-store",
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class PortalContext:
    """Everything the routes need, built by the composition root."""

    def __init__(
        self,
        portal: Portal,
        sessions: SessionStore,
        directory: Directory,
        inbox: InboxClient,
        clients: ClientAdministration,
        public_base_url: str,
        identity: IdentityProvider,
    ) -> None:
        self.portal = portal
        self.sessions = sessions
        self.directory = directory
        self.inbox = inbox
        self.clients = clients
        parts = urlsplit(public_base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.secure_cookies = parts.scheme == "https"
        self.identity = identity


def ctx(request: Request) -> PortalContext:
    return request.app.state.portal_context  # type: ignore[no-any-return]


Ctx = Annotated[PortalContext, Depends(ctx)]


async def current_session(request: Request, context: Ctx) -> Session | None:
    return await context.sessions.get(request.cookies.get(COOKIE_NAME))


MaybeSession = Annotated[Session | None, Depends(current_session)]


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "nb"
    return lang if lang in LANGUAGES else "nb"


Lang = Annotated[str, Depends(language)]


class SecurityHeaders(BaseHTTPMiddleware):
    """Headers on every response, and a refusal of cross-site state-changing requests."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        origin = request.headers.get("origin")
        if request.method in STATE_CHANGING and origin is not None:
            expected = request.app.state.portal_context.origin
            if origin != expected:
                response: Response = JSONResponse(
                    Problem(403, "Forbidden", "Cross-site request refused", code="CSRF-ORIGIN").body(),
                    status_code=403,
                    media_type="application/problem+json",
                )
                response.headers.update(SECURITY_HEADERS)
                return response
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response


def _set_session_cookie(response: Response, session: Session, context: PortalContext) -> None:
    response.set_cookie(
        COOKIE_NAME, session.id, httponly=True, samesite="lax", secure=context.secure_cookies, path="/"
    )


def _clear_session_cookie(response: Response, context: PortalContext) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=context.secure_cookies
    )


def csrf_refused() -> Problem:
    return Problem(403, "Forbidden", "Missing or wrong CSRF token", code="CSRF")


def _require_form_csrf(session: Session | None, csrf_token: str) -> Session:
    """A logged-in session whose form carried its own CSRF token."""
    active = _require_session(session)
    if not active.csrf_matches(csrf_token):
        raise csrf_refused()
    return active


def safe_return_url(value: str | None) -> str:
    """Only a path of the portal itself: no scheme, no host, no backslash tricks."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in value) or urlsplit(value).netloc:
        return HOME
    return value


def _render(
    request: Request, template: str, lang: str, session: Session | None, status: int = 200, **values: Any
) -> HTMLResponse:
    other = "en" if lang == "nb" else "nb"
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    context = {
        "lang": lang,
        "t": texts_for(lang),
        "lang_query": urlencode({**query, "lang": other}),
        "csrf_token": session.csrf_token if session else "",
        "person": values.pop("person", None),
        **values,
    }
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, httponly=True, samesite="lax")
    return response


def _message(
    request: Request,
    lang: str,
    session: Session | None,
    heading: str,
    message: str,
    kind: str,
    status: int,
    leave_action: str | None = None,
    person: Any = None,
) -> HTMLResponse:
    return _render(
        request,
        "message.html",
        lang,
        session,
        status,
        heading=heading,
        message=message,
        kind=kind,
        leave_action=leave_action,
        person=person,
    )


def _refusal(
    request: Request, lang: str, session: Session | None, problem: Problem, person: Any
) -> HTMLResponse:
    """The page for a refused action: the refusal's detail, with its status code."""
    t = texts_for(lang)
    return _message(
        request,
        lang,
        session,
        t["error_title"],
        problem.detail or problem.title,
        "refused",
        problem.status,
        person=person,
    )


# -- development identity provider -----------------------------------------------------------------
login_router = APIRouter(include_in_schema=False)


@login_router.get("/login")
async def login_page(
    request: Request,
    context: Ctx,
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
    response = _render(
        request, "login.html", lang, pre_login, people=people, return_url=safe_return_url(return_url)
    )
    _set_session_cookie(response, pre_login, context)
    return response


@login_router.post("/login")
async def login(
    request: Request,
    context: Ctx,
    lang: Lang,
    session: MaybeSession,
    pid: Annotated[str, Form(max_length=11, min_length=11)],
    csrf_token: Annotated[str, Form(max_length=128)],
    return_url: Annotated[str | None, Form(alias="returnUrl", max_length=2048)] = None,
) -> Response:
    if not context.identity.enabled:
        raise Problem(404, "Not Found", "The login provider is disabled")
    if session is None or not session.csrf_matches(csrf_token):
        raise csrf_refused()
    if await context.identity.authenticate(pid) is None:
        raise Problem(400, "Unknown person", "No such person in the directory")
    # A new session id at login: a cookie planted before login never becomes authenticated.
    await context.sessions.delete(session.id)
    fresh = await context.sessions.create(pid=pid)
    response = RedirectResponse(safe_return_url(return_url), status_code=303)
    _set_session_cookie(response, fresh, context)
    return response


@login_router.post("/logout")
async def logout(
    context: Ctx, session: MaybeSession, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    if session is not None and not session.csrf_matches(csrf_token):
        raise csrf_refused()
    if session is not None:
        await context.sessions.delete(session.id)
    response = RedirectResponse(LOGGED_OUT_PATH, status_code=303)
    _clear_session_cookie(response, context)
    return response


# -- portal pages ------------------------------------------------------------------------------------
pages_router = APIRouter(prefix=UI, include_in_schema=False)

KINDS = {"request": ev.RequestType.STANDARD, "agentrequest": ev.RequestType.AGENT}


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'returnUrl': target})}", status_code=303)


@pages_router.get("/loggedout")
async def logged_out(request: Request, lang: Lang) -> Response:
    t = texts_for(lang)
    return _message(request, lang, None, t["logged_out"], t["logged_out"], "logged-out", 200)


@pages_router.get("/systemuser/overview")
async def overview(
    request: Request,
    context: Ctx,
    lang: Lang,
    session: MaybeSession,
    party: Annotated[str | None, Query(max_length=9)] = None,
) -> Response:
    if session is None or session.pid is None:
        return _login_redirect(request)
    t = texts_for(lang)
    person = await context.directory.person(session.pid)
    managed = [
        p
        for p in await context.directory.parties(session.pid)
        if (rel := await context.directory.relation(session.pid, p.org_no)) is not None
        and rel.is_access_manager
    ]
    chosen = next((p for p in managed if p.org_no == party), managed[0] if managed else None)
    if chosen is None or (party is not None and chosen.org_no != party):
        return _message(
            request, lang, session, t["forbidden_title"], t["not_manager"], "forbidden", 403, person=person
        )
    store = context.portal.store
    pending = [
        {**r, "vendorName": await context.directory.org_name(r["vendorOrgNo"])}
        for r in await store.pending_escalated(chosen.org_no)
        if r["status"] == "New"
    ]
    accesses = [
        {
            **a,
            "vendorName": await context.directory.org_name(a["vendorOrgNo"]),
            "packageNames": [context.portal.package_name(p, lang) for p in a["accessPackages"]],
        }
        for a in await store.accesses_of(chosen.org_no)
    ]
    inbox = await context.inbox.items(session.pid)
    return _render(
        request,
        "overview.html",
        lang,
        session,
        person=person,
        parties=managed,
        party=chosen,
        pending=pending,
        accesses=accesses,
        inbox=inbox,
    )


@pages_router.post("/inbox/{notification_id}/read")
async def mark_notification_read(
    notification_id: str,
    context: Ctx,
    session: MaybeSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    session = _require_form_csrf(session, csrf_token)
    assert session.pid is not None
    await context.inbox.mark_read(session.pid, notification_id)
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
        return _login_redirect(request)
    t = texts_for(lang)
    person = await context.directory.person(session.pid)
    try:
        model = await context.portal.view(request_id, session.pid, KINDS[kind], lang)
    except Problem as problem:
        if problem.status == 403:
            return _message(
                request, lang, session, t["forbidden_title"], t["forbidden"], "forbidden", 403, person=person
            )
        return _message(
            request,
            lang,
            session,
            t["error_title"],
            t["not_found"],
            "not-found",
            problem.status,
            person=person,
        )
    heading = t["agent_heading"] if kind == "agentrequest" else t["request_heading"]
    return _render(
        request,
        "request.html",
        lang,
        session,
        heading=heading,
        req=model,
        person=person,
        decide_action=f"{UI}/systemuser/{kind}/decide",
        leave_action=f"{UI}/systemuser/{kind}/{model.id}/leave",
        skip_logout=skip_logout,
    )


@pages_router.get("/systemuser/request")
async def standard_request_page(
    request: Request,
    context: Ctx,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Query(max_length=64)],
    skiplogout: bool = False,
) -> Response:
    return await _request_page(request, "request", id, context, lang, session, skiplogout)


@pages_router.get("/systemuser/agentrequest")
async def agent_request_page(
    request: Request,
    context: Ctx,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Query(max_length=64)],
    skiplogout: bool = False,
) -> Response:
    return await _request_page(request, "agentrequest", id, context, lang, session, skiplogout)


@pages_router.post("/systemuser/{kind}/decide")
async def decide_from_page(
    request: Request,
    kind: str,
    context: Ctx,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Form(max_length=64)],
    decision: Annotated[ev.Decision, Form()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    skiplogout: Annotated[bool, Form()] = False,
) -> Response:
    if kind not in KINDS:
        raise Problem(404, "Not Found")
    session = _require_form_csrf(session, csrf_token)
    assert session.pid is not None
    t = texts_for(lang)
    person = await context.directory.person(session.pid)
    state = await context.portal.store.get_request(id)
    party = state["partyOrgNo"] if state else ""
    try:
        await context.portal.decide(id, party, session.pid, decision, KINDS[kind])
    except Problem as problem:
        return _refusal(request, lang, session, problem, person)
    if decision is ev.Decision.ESCALATE:
        return _message(
            request,
            lang,
            session,
            t["escalate_button"],
            t["escalated_done"],
            "escalated",
            200,
            leave_action=f"{UI}/systemuser/{kind}/{id}/leave",
            person=person,
        )
    if skiplogout:
        return RedirectResponse(HOME, status_code=303)
    return await _end_session_and_redirect(context, session, id)


@pages_router.post("/systemuser/{kind}/{request_id}/leave")
async def leave(
    kind: str,
    request_id: str,
    context: Ctx,
    session: MaybeSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if session is not None and not session.csrf_matches(csrf_token):
        raise csrf_refused()
    return await _end_session_and_redirect(context, session, request_id)


async def _end_session_and_redirect(
    context: PortalContext, session: Session | None, request_id: str
) -> Response:
    if session is not None:
        await context.sessions.delete(session.id)
    target = await context.portal.redirect_target(request_id)
    response = RedirectResponse(target, status_code=303)
    _clear_session_cookie(response, context)
    return response


# -- JSON BFF ------------------------------------------------------------------------------------------
bff_router = APIRouter(prefix=BFF, tags=["bff"])


def _require_session(session: Session | None) -> Session:
    if session is None or session.pid is None:
        raise Problem(401, "Unauthorized", "Log in first")
    return session


def _require_csrf(request: Request, session: Session) -> None:
    if not session.csrf_matches(request.headers.get("x-csrf-token")):
        raise Problem(403, "Forbidden", "Missing or wrong X-CSRF-Token header", code="CSRF")


@bff_router.get("/me")
async def me(context: Ctx, session: MaybeSession) -> dict[str, Any]:
    active = _require_session(session)
    assert active.pid is not None
    person = await context.directory.person(active.pid)
    parties = await context.directory.parties(active.pid)
    return {
        "pid": active.pid,
        "name": person.name if person else "",
        "parties": [{"orgNo": p.org_no, "name": p.name} for p in parties],
        "csrfToken": active.csrf_token,
    }


def _bff_routes(kind: str) -> None:
    request_type = KINDS[kind]

    @bff_router.get(f"/systemuser/{kind}/{{request_id}}", name=f"get_{kind}")
    async def get_request(request_id: str, context: Ctx, session: MaybeSession, lang: Lang) -> dict[str, Any]:
        active = _require_session(session)
        assert active.pid is not None
        return (await context.portal.view(request_id, active.pid, request_type, lang)).as_json(lang)

    @bff_router.post(f"/systemuser/{kind}/{{party_id}}/{{request_id}}/{{action}}", name=f"decide_{kind}")
    async def decide(
        request: Request,
        party_id: str,
        request_id: str,
        action: ev.Decision,
        context: Ctx,
        session: MaybeSession,
    ) -> dict[str, Any]:
        active = _require_session(session)
        _require_csrf(request, active)
        assert active.pid is not None
        result = await context.portal.decide(request_id, party_id, active.pid, action, request_type)
        return {"id": request_id, "outcome": result["outcome"]}

    @bff_router.get(f"/systemuser/{kind}/{{request_id}}/logout", name=f"logout_{kind}")
    async def logout_and_redirect(request_id: str, context: Ctx, session: MaybeSession) -> Response:
        return await _end_session_and_redirect(context, session, request_id)


for _kind in KINDS:
    _bff_routes(_kind)

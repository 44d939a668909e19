"""What every portal route depends on: the typed context, the session, the language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from shared.problems import Problem
from shared.ratelimit import RateLimit

from ..domain.sessions import Session
from ..services.access_details import AccessDetails
from ..services.change_requests import ChangeRequestPortal
from ..services.client_admin import ClientAdministration
from ..services.login import Login
from ..services.overview import Overview
from ..services.portal import Portal
from ..services.ports import Directory, RateLimiter, SessionRepository
from .cookies import SignedCookies
from .languages import choose_language

__all__ = [
    "ActiveSession",
    "Context",
    "Lang",
    "MaybeSession",
    "PortalContext",
    "csrf_refused",
    "enforce",
    "require_bff_csrf",
    "require_form_csrf",
    "require_session",
]

COOKIE_NAME = "sysaccess_session"


@dataclass(frozen=True)
class PortalContext:
    """Everything the portal's routes need, built by the composition root."""

    portal: Portal
    overview: Overview
    clients: ClientAdministration
    details: AccessDetails
    sessions: SessionRepository
    directory: Directory
    login: Login
    cookies: SignedCookies
    public_base_url: str
    limiter: RateLimiter
    decision_limit: RateLimit
    login_limit: RateLimit
    changes: ChangeRequestPortal | None = None
    """The change request page and its decisions (None: not offered by this instance)."""

    @property
    def origin(self) -> str:
        parts = urlsplit(self.public_base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.public_base_url).scheme == "https"


def portal_context(request: Request) -> PortalContext:
    context = request.app.state.portal
    if not isinstance(context, PortalContext):
        raise TypeError("the portal's context was not installed")
    return context


async def _portal_context(request: Request) -> PortalContext:
    # ``async def`` although it does no I/O: FastAPI runs a plain ``def`` dependency in its thread
    # pool, a thread hop per request.
    return portal_context(request)


Context = Annotated[PortalContext, Depends(_portal_context)]


async def current_session(request: Request, context: Context) -> Session | None:
    return await context.sessions.get(request.cookies.get(COOKIE_NAME))


MaybeSession = Annotated[Session | None, Depends(current_session)]


def require_session(session: Session | None) -> Session:
    if session is None or session.pid is None:
        raise Problem(401, "Unauthorized", "Log in first")
    return session


async def logged_in(session: MaybeSession) -> Session:
    return require_session(session)


ActiveSession = Annotated[Session, Depends(logged_in)]


def csrf_refused() -> Problem:
    return Problem(403, "Forbidden", "Missing or wrong CSRF token", code="CSRF")


def require_form_csrf(session: Session | None, csrf_token: str) -> Session:
    """A logged-in session whose form carried its own CSRF token."""
    active = require_session(session)
    if not active.csrf_matches(csrf_token):
        raise csrf_refused()
    return active


async def bff_session(request: Request, session: ActiveSession) -> Session:
    """A logged-in session whose call carried its CSRF token in the X-CSRF-Token header."""
    if not session.csrf_matches(request.headers.get("x-csrf-token")):
        raise Problem(403, "Forbidden", "Missing or wrong X-CSRF-Token header", code="CSRF")
    return session


require_bff_csrf = Depends(bff_session)
CsrfSession = Annotated[Session, require_bff_csrf]


async def enforce(context: PortalContext, limit: RateLimit, subject: str) -> None:
    """Refuse with 429 and Retry-After once ``subject`` is over ``limit``."""
    verdict = await context.limiter.hit(limit, subject)
    if not verdict.allowed:
        raise Problem(
            429,
            "Too Many Requests",
            f"Too many attempts; try again in {verdict.retry_after} s",
            code="RATE-LIMITED",
            headers={"Retry-After": str(verdict.retry_after)},
        )


def language(request: Request) -> str:
    return choose_language(
        request.query_params.get("lang"), request.cookies.get("lang"), request.headers.get("accept-language")
    )


async def _language(request: Request) -> str:
    return language(request)


Lang = Annotated[str, Depends(_language)]

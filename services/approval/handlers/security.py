"""Browser security for the portal: response headers, cross-site refusal, cookies, safe returns."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import PROBLEM_JSON, Problem

from ..domain.sessions import Session
from .deps import COOKIE_NAME, PortalContext, portal_context

__all__ = ["HOME", "SecurityHeaders", "clear_session_cookie", "safe_return_url", "set_session_cookie"]

HOME = "/accessmanagement/ui/systemuser/overview"
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


class SecurityHeaders:
    """Headers on every response, and a refusal of cross-site state-changing requests.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` runs each request through extra
    tasks and memory streams, which cost more CPU than the portal's own work on a small call.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        origin = request.headers.get("origin")
        cross_site = origin is not None and origin != portal_context(request).origin
        if scope["method"] in STATE_CHANGING and cross_site:
            problem = Problem(403, "Forbidden", "Cross-site request refused", code="CSRF-ORIGIN")
            response: Response = JSONResponse(problem.body(), status_code=403, media_type=PROBLEM_JSON)
            response.headers.update(SECURITY_HEADERS)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def set_session_cookie(response: Response, session: Session, context: PortalContext) -> None:
    response.set_cookie(
        COOKIE_NAME, session.id, httponly=True, samesite="lax", secure=context.secure_cookies, path="/"
    )


def clear_session_cookie(response: Response, context: PortalContext) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=context.secure_cookies
    )


def safe_return_url(value: str | None) -> str:
    """Only a path of the portal itself: no scheme, no host, no backslash tricks."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in value) or urlsplit(value).netloc:
        return HOME
    return value

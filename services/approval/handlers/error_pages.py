"""Errors on the portal's pages are pages too: in the person's language, with the right status.

The BFF and every other route keep their problem+json answers; only requests for the
portal's HTML pages (and its login and logout steps) get a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.problems import Problem

from ..domain.refusals import RefusalReason, Refused
from .deps import language
from .pages import UI
from .refusals import headers_of, status_of
from .rendering import localized_refusal, message_page

__all__ = ["install_error_pages", "is_page"]

Handler = Callable[[Request, Exception], Awaitable[Response]]
PAGE_PATHS = ("/login", "/logout")


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == UI or path.startswith(f"{UI}/") or path.startswith(PAGE_PATHS)


def _error_page(request: Request, exc: Exception) -> Response:
    headers: dict[str, str] = {}
    code: str | None
    kind = "refused"
    if isinstance(exc, Refused):
        code, status = exc.refusal.code, status_of(exc.refusal)
        headers = headers_of(exc.refusal)
        if exc.refusal.reason is RefusalReason.UNAVAILABLE:
            kind = "unavailable"
    elif isinstance(exc, Problem):
        code, status, headers = exc.code, exc.status, exc.headers
    elif isinstance(exc, StarletteHTTPException):
        code, status, headers = None, exc.status_code, dict(exc.headers or {})
    else:
        code, status = None, 400
    if status == 404:
        kind = "not-found"
    lang = language(request)
    heading, message = localized_refusal(code, status, lang)
    page = message_page(request, lang, None, heading=heading, message=message, kind=kind, status=status)
    page.headers.update(headers)
    return page


def install_error_pages(app: FastAPI) -> None:
    """Wrap the JSON handlers already installed: pages get a page, everything else what it got."""
    for kind in (Refused, Problem, StarletteHTTPException, RequestValidationError):
        fallback = app.exception_handlers.get(kind)
        app.add_exception_handler(kind, _for_pages(fallback))


def _for_pages(fallback: Callable[..., object] | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_page(request) or fallback is None:
            return _error_page(request, exc)
        response = fallback(request, exc)
        if isinstance(response, Awaitable):
            response = await response
        assert isinstance(response, Response)
        return response

    return handle

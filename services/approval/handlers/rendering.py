"""HTML rendering of the portal: one page template per view, one message page for outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from shared.world import Person

from ..domain.refusals import Refusal, RefusalReason, Refused
from ..domain.sessions import Session
from .refusals import headers_of, status_of
from .texts import LANGUAGE_NAMES, LANGUAGES, format_when, texts_for

__all__ = ["localized_refusal", "login_redirect", "message_page", "refusal_page", "render", "status_text"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["when"] = format_when

# What a refusal says on a page, by its code, in the page's language (details are English).
REFUSAL_TEXTS = {
    "DECISION-NOT-RECORDED": "decision_not_recorded",
    "DECISION-PENDING": "decision_pending",
    "AUTH-00066": "forbidden",
    "AUTH-00015": "access_not_found",
    "AUTH-00010": "not_found",
    "AUTH-00013": "already_decided",
    "AUTH-00067": "already_escalated",
    "AUTH-00079": "client_not_found",
    "AUTH-00080": "client_lacks_packages",
    "AUTH-00064": "own_refused",
    "AUTH.VLD-CLIENTS": "no_clients_given",
    "CSRF": "csrf_failed",
    "CSRF-ORIGIN": "csrf_failed",
    "RATE-LIMITED": "too_many",
}
# ... and when the code says nothing the page can explain, by the status.
STATUS_TEXTS = {401: "login_required", 403: "forbidden", 404: "page_not_found", 405: "page_not_found"}


def status_text(status: int) -> str:
    if status >= 500:
        return "server_error"
    return STATUS_TEXTS.get(status, "bad_request")


def localized_refusal(code: str | None, status: int, lang: str) -> tuple[str, str]:
    """The heading and the message of an error page."""
    t = texts_for(lang)
    heading = t["forbidden_title"] if status == 403 else t["error_title"]
    return heading, t[REFUSAL_TEXTS.get(code or "", status_text(status))]


def _query_link(request: Request) -> Any:
    def link(**changes: object) -> str:
        query: dict[str, object] = {k: v for k, v in request.query_params.items() if k != "lang"}
        query.update(changes)
        return "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")})

    return link


def render(
    request: Request, template: str, lang: str, session: Session | None, status: int = 200, **values: Any
) -> HTMLResponse:
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    languages = [
        {"code": code, "name": LANGUAGE_NAMES[code], "href": "?" + urlencode({**query, "lang": code})}
        for code in LANGUAGES
    ]
    context = {
        "lang": lang,
        "t": texts_for(lang),
        "languages": languages,
        "link": _query_link(request),
        "csrf_token": session.csrf_token if session else "",
        "person": values.pop("person", None),
        **values,
    }
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, httponly=True, samesite="lax")
    return response


def message_page(
    request: Request,
    lang: str,
    session: Session | None,
    *,
    heading: str,
    message: str,
    kind: str,
    status: int,
    leave_action: str | None = None,
    person: Person | None = None,
) -> HTMLResponse:
    return render(
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


def refusal_page(
    request: Request, lang: str, session: Session | None, refusal: Refusal, person: Person | None
) -> HTMLResponse:
    """The page for a refused action, with its status code, explained in the user's language."""
    heading, message = localized_refusal(refusal.code, status_of(refusal), lang)
    page = message_page(
        request,
        lang,
        session,
        heading=heading,
        message=message,
        kind="unavailable" if refusal.reason is RefusalReason.UNAVAILABLE else "refused",
        status=status_of(refusal),
        person=person,
    )
    page.headers.update(headers_of(refusal))
    return page


def page_not_shown(
    request: Request,
    lang: str,
    session: Session | None,
    refused: Refused,
    person: Person | None,
    not_found_text: str,
) -> HTMLResponse:
    """A page that cannot be shown: forbidden to this person, or nothing by that id."""
    t = texts_for(lang)
    forbidden = refused.refusal.reason is RefusalReason.FORBIDDEN
    return message_page(
        request,
        lang,
        session,
        heading=t["forbidden_title"] if forbidden else t["error_title"],
        message=t["forbidden"] if forbidden else t[not_found_text],
        kind="forbidden" if forbidden else "not-found",
        status=status_of(refused.refusal),
        person=person,
    )


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'returnUrl': target})}", status_code=303)

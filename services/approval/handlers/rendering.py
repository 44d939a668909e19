"""HTML rendering of the portal: one page template per view, one message page for outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from shared.world import Person

from ..domain.refusals import Refusal, RefusalReason
from ..domain.sessions import Session
from .refusals import headers_of, status_of
from .texts import texts_for

__all__ = ["login_redirect", "message_page", "refusal_page", "render"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(
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
    """The page for a refused action, with its status code; outages are explained in the user's language."""
    t = texts_for(lang)
    localized = {
        "DECISION-NOT-RECORDED": t["decision_not_recorded"],
        "DECISION-PENDING": t["decision_pending"],
    }
    page = message_page(
        request,
        lang,
        session,
        heading=t["error_title"],
        message=localized.get(refusal.code) or refusal.detail or refusal.title or refusal.code,
        kind="unavailable" if refusal.reason is RefusalReason.UNAVAILABLE else "refused",
        status=status_of(refusal),
        person=person,
    )
    page.headers.update(headers_of(refusal))
    return page


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'returnUrl': target})}", status_code=303)

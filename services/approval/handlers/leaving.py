"""Leaving after a decision: the session ends and the browser goes to the vendor or the logged-out page."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import RedirectResponse

from ..domain.sessions import Session
from .deps import PortalContext
from .security import clear_session_cookie

__all__ = ["end_session_and_redirect"]


async def end_session_and_redirect(
    context: PortalContext, session: Session | None, request_id: str
) -> Response:
    if session is not None:
        await context.sessions.delete(session.id)
    target = await context.portal.redirect_target(request_id)
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response, context)
    return response

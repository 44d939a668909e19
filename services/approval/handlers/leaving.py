"""Leaving: the portal session ends, then the provider's, then the browser goes on.

After a decision the browser goes to the vendor's verified page or the logged-out page. The
target is kept in a signed cookie while the provider ends its session, and only followed
when the provider comes back with the state that was sent.
"""

from __future__ import annotations

import secrets

from fastapi import Response
from fastapi.responses import RedirectResponse

from ..domain.sessions import Session
from .deps import PortalContext
from .security import clear_session_cookie

__all__ = ["end_session_and_redirect", "end_session_and_redirect_to"]


async def end_session_and_redirect(
    context: PortalContext, session: Session | None, request_id: str
) -> Response:
    return await end_session_and_redirect_to(
        context, session, await context.portal.redirect_target(request_id)
    )


async def end_session_and_redirect_to(
    context: PortalContext, session: Session | None, target: str
) -> Response:
    state = secrets.token_urlsafe(16)
    provider_logout = await context.login.end(session, state)
    response = RedirectResponse(provider_logout or target, status_code=303)
    if provider_logout is not None:
        context.cookies.set_logout(response, state, target)
    clear_session_cookie(response, context)
    return response

"""A request id for every HTTP request: in each log line written while it runs (uvicorn's access
line too), on its span, and in the response's ``X-Request-ID`` header.

A caller's own ``X-Request-ID`` is kept when it is a short token (letters, digits, ``.``, ``_``,
``-``; at most 64), so a proxy's id joins up; anything else is replaced by a new one.
"""

from __future__ import annotations

import re
import uuid

import structlog
from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEADER", "RequestId", "request_id_of"]

HEADER = "x-request-id"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(offered: str | None) -> str:
    """The caller's id when acceptable, else a new one."""
    if offered is not None and _ACCEPTABLE.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestId:
    """Pure ASGI middleware (no task hop), so the id is bound in the request's own context."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER.encode()), None)
        request_id = request_id_of(offered)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.request.id", request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER.encode()]
                message["headers"] = [*headers, (HEADER.encode(), request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)

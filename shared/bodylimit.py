"""Refuse request bodies over a limit with 413 problem+json, before anything parses them.

A declared Content-Length over the limit is refused before a byte of the body is read. A
body without one (chunked) is counted as the application reads it; once it passes the limit
the reading stops and the answer becomes 413, whatever the application was about to say
(FastAPI turns a failed body read into a 400 of its own).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import PROBLEM_JSON

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(Exception):
    """The request body passed its limit while being read."""


def _problem(limit: int, path: str) -> bytes:
    return json.dumps(
        {
            "type": "urn:sysaccess:problem:413",
            "title": "Payload Too Large",
            "status": 413,
            "detail": f"The request body is larger than {limit} bytes",
            "code": "BODY-TOO-LARGE",
            "instance": path,
        }
    ).encode()


class BodyLimit:
    """ASGI middleware: ``default`` bytes per body, or the limit of the longest matching path prefix."""

    def __init__(self, app: ASGIApp, *, default: int, by_prefix: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.by_prefix = sorted(by_prefix, key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit, scope["path"])
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise BodyTooLarge(scope["path"])
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    await self._refuse(send, limit, scope["path"])
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if not state["started"]:
                await self._refuse(send, limit, scope["path"])

    @staticmethod
    async def _refuse(send: Send, limit: int, path: str) -> None:
        body = _problem(limit, path)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

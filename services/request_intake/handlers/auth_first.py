"""The vendor's token is checked before a byte of the body is read.

FastAPI reads a route's body before it resolves its dependencies, so an unauthenticated
caller could make the service read (up to the body limit) and parse a body before its 401.
This middleware answers 401 first for any request that carries a body to the vendor API
without a token the verifier accepts; the route's own dependency then finds the token in the
verifier's cache.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.jwks import TokenRefused
from shared.problems import PROBLEM_JSON

from ..domain.vendors import Vendor

__all__ = ["AuthenticateFirst"]

WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


class AuthenticateFirst:
    def __init__(self, app: ASGIApp, *, prefix: str, verify: Callable[[str], Awaitable[Vendor]]) -> None:
        self.app = app
        self.prefix = prefix
        self.verify = verify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WITH_BODY
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or ()).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        detail = "A bearer token is required"
        if scheme.lower() == "bearer" and token.strip():
            try:
                await self.verify(token.strip())
            except TokenRefused as exc:
                detail = f"Invalid token: {exc}"
            else:
                await self.app(scope, receive, send)
                return
        await _unauthorized(send, detail, scope["path"])


async def _unauthorized(send: Send, detail: str, path: str) -> None:
    body = json.dumps(
        {
            "type": "urn:sysaccess:problem:AUTH-00023",
            "title": "Unauthorized",
            "status": 401,
            "detail": detail,
            "code": "AUTH-00023",
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b"Bearer"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

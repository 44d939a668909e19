"""Short-lived signed cookies that carry a login or a logout across the provider's round trip.

Signed (itsdangerous) and time-limited, so the browser holds the state instead of the
server: an anonymous page view creates nothing in Redis.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..domain.login import LoginChallenge

__all__ = ["LOGIN_COOKIE", "LOGOUT_COOKIE", "SignedCookies"]

LOGIN_COOKIE = "sysaccess_login"
LOGOUT_COOKIE = "sysaccess_logout"
MAX_AGE_SECONDS = 600


class SignedCookies:
    def __init__(self, secret: str, secure: bool) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="sysaccess-portal")
        self.secure = secure

    def _set(self, response: Response, name: str, value: dict[str, Any]) -> None:
        response.set_cookie(
            name,
            self.serializer.dumps(value),
            max_age=MAX_AGE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=self.secure)

    def _read(self, request: Request, name: str) -> dict[str, Any] | None:
        raw = request.cookies.get(name)
        if not raw:
            return None
        try:
            value = self.serializer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        return value if isinstance(value, dict) else None

    def set_login(self, response: Response, challenge: LoginChallenge) -> None:
        self._set(response, LOGIN_COOKIE, dataclasses.asdict(challenge))

    def read_login(self, request: Request) -> LoginChallenge | None:
        """The login this browser started (the caller clears the cookie: a challenge is used once)."""
        value = self._read(request, LOGIN_COOKIE)
        try:
            return LoginChallenge(**value) if value else None
        except TypeError:
            return None

    def set_logout(self, response: Response, state: str, target: str) -> None:
        self._set(response, LOGOUT_COOKIE, {"state": state, "target": target})

    def read_logout(self, request: Request) -> tuple[str, str] | None:
        value = self._read(request, LOGOUT_COOKIE)
        if not value or not isinstance(value.get("state"), str) or not isinstance(value.get("target"), str):
            return None
        return value["state"], value["target"]

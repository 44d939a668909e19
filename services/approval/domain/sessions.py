"""A portal session and the rules of its lifetime (idle and absolute timeouts, CSRF match)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Session", "SessionLifetime"]


@dataclass(frozen=True)
class SessionLifetime:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class Session:
    id: str
    pid: str | None
    csrf_token: str
    created: float
    last_seen: float
    id_token: str | None = None  # the provider's ID token, as the hint for ending its session

    @property
    def authenticated(self) -> bool:
        return self.pid is not None

    def csrf_matches(self, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(self.csrf_token, offered or "")

    def expired(self, now: float, lifetime: SessionLifetime) -> bool:
        too_old = now - self.created > lifetime.absolute.total_seconds()
        return too_old or now - self.last_seen > lifetime.idle.total_seconds()

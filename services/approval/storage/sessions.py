"""Server-side sessions in Redis, and the synchronizer CSRF token that lives in each.

The cookie carries 256 random bits; Redis stores the session under a SHA-256 of it, so a
read of Redis does not yield usable cookies. Idle and absolute timeouts are enforced here,
not by the browser. Logout deletes the key: the old cookie is then worthless.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from datetime import timedelta

from redis.asyncio import Redis

from ..domain.sessions import Session, SessionLifetime

__all__ = ["RedisSessions"]


class RedisSessions:
    def __init__(self, redis: Redis, prefix: str, *, idle: timedelta, absolute: timedelta) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lifetime = SessionLifetime(idle=idle, absolute=absolute)
        self.idle = idle
        # Activity is written back at most this often (a tenth of the idle timeout, at most a
        # minute): a session is read on every portal call, and a second write per call cost as
        # much as the read. The idle timeout then ends a session up to this much early.
        self.touch_every = min(60.0, idle.total_seconds() / 10)

    def _key(self, session_id: str) -> str:
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        return f"{self.prefix}:session:{digest}"

    async def create(self, pid: str, id_token: str | None = None) -> Session:
        now = time.time()
        session = Session(
            id=secrets.token_urlsafe(32),
            pid=pid,
            csrf_token=secrets.token_urlsafe(32),
            created=now,
            last_seen=now,
            id_token=id_token,
        )
        key = self._key(session.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "pid": pid,
                    "csrf": session.csrf_token,
                    "id_token": id_token or "",
                    "created": str(now),
                    "last_seen": str(now),
                },
            )
            pipe.expire(key, self.idle)
            await pipe.execute()
        return session

    async def get(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 128:
            return None
        key = self._key(session_id)
        data = {str(k): str(v) for k, v in (await self.redis.hgetall(key)).items()}
        if not data:
            return None
        now = time.time()
        stored = Session(
            session_id,
            data["pid"] or None,
            data["csrf"],
            float(data["created"]),
            float(data["last_seen"]),
            data.get("id_token") or None,
        )
        if stored.expired(now, self.lifetime):
            await self.redis.delete(key)
            return None
        if now - stored.last_seen < self.touch_every:
            return stored
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "last_seen", str(now))
            pipe.expire(key, self.idle)
            await pipe.execute()
        return dataclasses.replace(stored, last_seen=now)

    async def delete(self, session_id: str | None) -> None:
        if session_id:
            await self.redis.delete(self._key(session_id))

"""Reads of the system accesses intake mirrors (written by ``outcomes``)."""

from __future__ import annotations

from redis.asyncio import Redis

from ..domain.accesses import SystemAccess
from ..domain.requests import NaturalKey
from .keys import IntakeKeys
from .records import decode_access

__all__ = ["RedisAccessReader"]


class RedisAccessReader:
    """Implements ``services.ports.AccessReader``."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def get_access(self, access_id: str) -> SystemAccess | None:
        raw = await self._redis.get(self._keys.access(access_id))
        return decode_access(raw) if raw else None

    async def find_access(self, key: NaturalKey) -> SystemAccess | None:
        access_id = await self._redis.get(self._keys.live_access(key))
        return await self.get_access(str(access_id)) if access_id else None

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(str(c) for c in await self._redis.smembers(self._keys.clients(access_id)))

"""The notifier's copy of the system register in Redis: one JSON string per system."""

from __future__ import annotations

from redis.asyncio import Redis

from shared import events as ev

from .keys import NotifierKeys

__all__ = ["RedisSystemCatalog"]


class RedisSystemCatalog:
    """Systems as the register described them last (camelCase JSON, as on the wire)."""

    def __init__(self, redis: Redis, keys: NotifierKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def get(self, system_id: str) -> ev.SystemDescription | None:
        raw = await self._redis.get(self._keys.system(system_id))
        return ev.SystemDescription.model_validate_json(raw) if raw else None

    async def save(self, system: ev.SystemDescription) -> None:
        await self._redis.set(self._keys.system(system.system_id), system.model_dump_json(by_alias=True))

    async def remove(self, system_id: str) -> None:
        await self._redis.delete(self._keys.system(system_id))

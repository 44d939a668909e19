"""The system register as approval keeps it, projected from the register's events."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import Write, apply_once

from .keys import ApprovalKeys

__all__ = ["RedisSystems"]


class RedisSystems:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keys = ApprovalKeys(prefix)

    async def get_system(self, system_id: str) -> ev.SystemDescription | None:
        raw = await self.redis.get(self.keys.system(system_id))
        return ev.SystemDescription.model_validate_json(raw) if raw else None

    async def record_system(self, event: ev.SystemRegistered | ev.SystemUpdated | ev.SystemDeleted) -> bool:
        system_id = event.system_id if isinstance(event, ev.SystemDeleted) else event.system.system_id
        key = self.keys.system(system_id)

        async def plan(_pipe: Pipeline) -> Write | None:
            def write(p: Pipeline) -> None:
                if isinstance(event, ev.SystemDeleted):
                    p.delete(key)
                else:
                    p.set(key, event.system.model_dump_json(by_alias=True))

            return write

        return await apply_once(
            self.redis, prefix=self.prefix, event_id=event.event_id, plan=plan, watch=[key]
        )

"""The per-access history list in Redis: appended inside the transaction of each change."""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from ..domain.history import HistoryEntry
from .keys import ApprovalKeys

__all__ = ["RedisHistory", "append_history"]

# A history longer than this keeps its newest entries (an access with thousands of client changes).
MAX_ENTRIES = 10_000


def append_history(
    pipe: Pipeline, keys: ApprovalKeys, access_id: str, entries: Iterable[HistoryEntry]
) -> None:
    """Queue the entries on a MULTI pipeline, next to the change they record."""
    payloads = [entry.to_json() for entry in entries]
    if payloads:
        pipe.rpush(keys.history(access_id), *payloads)
        pipe.ltrim(keys.history(access_id), -MAX_ENTRIES, -1)


class RedisHistory:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = ApprovalKeys(prefix)

    async def history_of(self, access_id: str) -> list[HistoryEntry]:
        raws = await self.redis.lrange(self.keys.history(access_id), 0, -1)
        return [HistoryEntry.model_validate_json(raw) for raw in raws]

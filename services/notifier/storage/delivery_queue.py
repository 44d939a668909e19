"""Scheduled delivery jobs in Redis: a hash per job and a "due" sorted set, leased by claiming.

A worker claims a due job by pushing its due time forward by a lease (atomically, so two
workers cannot both claim it); if the worker dies, the lease runs out and another attempt
follows with the same delivery id.
"""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from ..domain.deliveries import ClaimedJob
from .job_records import claimed_job_from_hash
from .keys import NotifierKeys

__all__ = ["RedisDeliveryQueue"]

CLAIM_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[2]), id)
end
return due
"""

# How long a finished job's outcome is kept, for inspection; delivery never reads it.
DONE_RETENTION = timedelta(days=30)


class RedisDeliveryQueue:
    """Claims due jobs and records how their attempts ended."""

    def __init__(self, redis: Redis, keys: NotifierKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._claim = redis.register_script(CLAIM_LUA)

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[ClaimedJob]:
        ids = await self._claim(keys=[self._keys.due], args=[now, now + lease_seconds, limit])
        claimed = []
        for job_id in (str(i) for i in ids):
            fields = {str(k): str(v) for k, v in (await self._redis.hgetall(self._keys.job(job_id))).items()}
            if fields:
                claimed.append(claimed_job_from_hash(job_id, fields))
            else:  # a due entry whose job finished meanwhile: drop it
                await self._redis.zrem(self._keys.due, job_id)
        return claimed

    async def delivered(self, job_id: str) -> None:
        await self._finish(job_id, "1")

    async def give_up(self, job_id: str) -> None:
        await self._finish(job_id, "dead-letter")

    async def retry_at(self, job_id: str, at: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(self._keys.job(job_id), "attempts", 1)
            pipe.zadd(self._keys.due, {job_id: at}, xx=True)
            await pipe.execute()

    async def postpone(self, job_id: str, at: float) -> None:
        await self._redis.zadd(self._keys.due, {job_id: at}, xx=True)

    async def _finish(self, job_id: str, outcome: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.done(job_id), outcome, ex=DONE_RETENTION)
            pipe.delete(self._keys.job(job_id))
            pipe.zrem(self._keys.due, job_id)
            await pipe.execute()

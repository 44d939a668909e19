"""notifier's Redis state: scheduled deliveries, the inbox, and what it knows of systems.

Deliveries are hashes plus a "due" sorted set. A worker claims a due job by pushing its
due time forward by a lease (atomically, so two workers cannot both claim it); if the
worker dies, the lease runs out and another attempt follows with the same delivery id.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import Write, apply_once

from .plans import Job, Plan

CLAIM_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[2]), id)
end
return due
"""

DONE_RETENTION = timedelta(days=30)


class NotifierStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.due = f"{prefix}:due"
        self._claim = redis.register_script(CLAIM_LUA)

    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def done_key(self, job_id: str) -> str:
        return f"{self.prefix}:done:{job_id}"

    def _inbox(self, pid: str) -> str:
        return f"{self.prefix}:inbox:{pid}"

    def _notification(self, notification_id: str) -> str:
        return f"{self.prefix}:notification:{notification_id}"

    def _system(self, system_id: str) -> str:
        return f"{self.prefix}:system:{system_id}"

    # -- planning, once per event ------------------------------------------------------------------
    async def schedule(self, event_id: object, plan: Plan, now: float) -> bool:
        async def decide(pipe: Pipeline) -> Write | None:
            def write(p: Pipeline) -> None:
                for job in plan.jobs:
                    p.hset(
                        self.job_key(job.id),
                        mapping={
                            "kind": job.kind,
                            "deliveryId": job.delivery_id,
                            "payload": json.dumps(job.payload),
                            "attempts": 0,
                        },
                    )
                    p.zadd(self.due, {job.id: now}, nx=True)
                for entry in plan.inbox:
                    p.set(
                        self._notification(entry.id),
                        json.dumps({**entry.__dict__, "read": False}),
                    )
                    p.zadd(self._inbox(entry.pid), {entry.id: now})

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=str(event_id), plan=decide)

    # -- delivery ------------------------------------------------------------------------------------
    async def claim(self, now: float, lease: float, limit: int) -> list[tuple[str, dict[str, str]]]:
        ids = [str(i) for i in await self._claim(keys=[self.due], args=[now, now + lease, limit])]
        jobs = []
        for job_id in ids:
            data = {str(k): str(v) for k, v in (await self.redis.hgetall(self.job_key(job_id))).items()}
            if data:
                jobs.append((job_id, data))
            else:
                await self.redis.zrem(self.due, job_id)
        return jobs

    async def succeeded(self, job_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.done_key(job_id), "1", ex=DONE_RETENTION)
            pipe.delete(self.job_key(job_id))
            pipe.zrem(self.due, job_id)
            await pipe.execute()

    async def failed(self, job_id: str, retry_at: float) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(self.job_key(job_id), "attempts", 1)
            pipe.zadd(self.due, {job_id: retry_at}, xx=True)
            attempts, _ = await pipe.execute()
        return int(attempts)

    async def give_up(self, job_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.done_key(job_id), "dead-letter", ex=DONE_RETENTION)
            pipe.delete(self.job_key(job_id))
            pipe.zrem(self.due, job_id)
            await pipe.execute()

    async def is_done(self, job_id: str) -> bool:
        return bool(await self.redis.exists(self.done_key(job_id)))

    async def pending_count(self) -> int:
        return int(await self.redis.zcard(self.due))

    # -- inbox ------------------------------------------------------------------------------------------
    async def inbox(self, pid: str, limit: int = 100) -> list[dict[str, Any]]:
        ids = [str(i) for i in await self.redis.zrevrange(self._inbox(pid), 0, limit - 1)]
        raws = await self.redis.mget([self._notification(i) for i in ids]) if ids else []
        return [json.loads(r) for r in raws if r]

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        key = self._notification(notification_id)
        raw = await self.redis.get(key)
        if raw is None:
            return False
        entry = json.loads(raw)
        if entry["pid"] != pid:
            return False
        entry["read"] = True
        await self.redis.set(key, json.dumps(entry))
        return True

    # -- systems (from the register's events) ---------------------------------------------------------
    async def record_system(self, event: ev.SystemRegistered | ev.SystemUpdated | ev.SystemDeleted) -> None:
        if isinstance(event, ev.SystemDeleted):
            await self.redis.delete(self._system(event.system_id))
        else:
            await self.redis.set(
                self._system(event.system.system_id), event.system.model_dump_json(by_alias=True)
            )

    async def system(self, system_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._system(system_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None


def job_from(job_id: str, data: dict[str, str]) -> tuple[Job, int]:
    job = Job(
        id=job_id,
        kind="email" if data["kind"] == "email" else "webhook",
        delivery_id=data["deliveryId"],
        payload=json.loads(data["payload"]),
    )
    return job, int(data.get("attempts", "0"))

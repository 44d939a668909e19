"""Rate limits whose windows live in Redis, so they hold across every instance of a service.

A fixed window per (limit, subject): one INCR and one EXPIRE in a single round trip. The
worst case lets through twice the limit around a window boundary, which is enough to stop
brute force and floods; the point is a bound, not an exact rate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

__all__ = ["RateLimit", "RateVerdict", "RedisRateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` hits per ``window`` for one subject (an IP, a person, an organisation)."""

    name: str
    limit: int
    window: timedelta


@dataclass(frozen=True)
class RateVerdict:
    allowed: bool
    retry_after: int = 0  # seconds until the window resets, when refused


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock

    async def hit(self, limit: RateLimit, subject: str) -> RateVerdict:
        if limit.limit <= 0:
            return RateVerdict(True)
        window = max(1, math.ceil(limit.window.total_seconds()))
        now = self.clock()
        slot = int(now // window)
        # The subject in braces is the Redis Cluster hash tag: one subject's windows share a slot.
        key = f"{self.prefix}:rate:{{{limit.name}:{subject}}}:{slot}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count, _ = await pipe.execute()
        if int(count) <= limit.limit:
            return RateVerdict(True)
        return RateVerdict(False, retry_after=max(1, math.ceil((slot + 1) * window - now)))

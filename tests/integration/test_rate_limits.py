"""Rate-limit windows in the real Redis hold across instances and say when to come back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from shared.ratelimit import RateLimit, RedisRateLimiter
from tests.support.infra import Endpoints

pytestmark = pytest.mark.integration
LIMIT = RateLimit("decisions", 3, timedelta(seconds=60))


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_two_instances_share_one_window(redis: Redis) -> None:
    prefix = f"rl-{uuid.uuid4().hex[:6]}"
    clock = lambda: 1_000_000.0  # noqa: E731 - a fixed instant, mid-window
    first, second = RedisRateLimiter(redis, prefix, clock), RedisRateLimiter(redis, prefix, clock)
    verdicts = [await (first if i % 2 else second).hit(LIMIT, "12887010186") for i in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[3].retry_after == 20  # 1_000_000 is 40 s into its 60 s window
    other = await first.hit(LIMIT, "03897610069")
    assert other.allowed


async def test_a_new_window_lets_the_subject_in_again_and_old_windows_expire(redis: Redis) -> None:
    prefix = f"rl-{uuid.uuid4().hex[:6]}"
    now = [1_000_000.0]
    limiter = RedisRateLimiter(redis, prefix, lambda: now[0])
    for _ in range(4):
        await limiter.hit(LIMIT, "10.0.0.1")
    now[0] += 60
    assert (await limiter.hit(LIMIT, "10.0.0.1")).allowed
    keys = [k async for k in redis.scan_iter(f"{prefix}:rate:*")]
    assert keys
    ttls = [await redis.ttl(k) for k in keys]
    assert all(0 < ttl <= 61 for ttl in ttls)

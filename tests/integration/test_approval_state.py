"""approval's Redis state: sessions with server-side timeouts, and an idempotent directory seed."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from services.approval.storage.directory import RedisDirectory
from services.approval.storage.sessions import RedisSessions
from shared.world import load_world
from tests.support.infra import Endpoints


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_session_has_enough_randomness_and_is_stored_hashed(redis: Redis) -> None:
    prefix = f"t-{uuid.uuid4().hex[:6]}"
    store = RedisSessions(redis, prefix, idle=timedelta(minutes=5), absolute=timedelta(hours=1))
    session = await store.create("12887010186")
    assert len(session.id) >= 43  # 32 random bytes, url-safe base64
    assert not await redis.exists(f"{prefix}:session:{session.id}")
    digest = hashlib.sha256(session.id.encode()).hexdigest()
    assert await redis.exists(f"{prefix}:session:{digest}")
    assert (await store.get(session.id)) is not None
    await store.delete(session.id)
    assert (await store.get(session.id)) is None


async def test_idle_timeout_is_enforced_by_the_server(redis: Redis) -> None:
    store = RedisSessions(
        redis, f"t-{uuid.uuid4().hex[:6]}", idle=timedelta(seconds=1), absolute=timedelta(hours=1)
    )
    session = await store.create("12887010186")
    await asyncio.sleep(1.3)
    assert (await store.get(session.id)) is None


async def test_absolute_timeout_is_enforced_even_when_active(redis: Redis) -> None:
    store = RedisSessions(
        redis, f"t-{uuid.uuid4().hex[:6]}", idle=timedelta(seconds=30), absolute=timedelta(seconds=1.5)
    )
    session = await store.create("12887010186")
    for _ in range(3):
        await asyncio.sleep(0.4)
        assert (await store.get(session.id)) is not None
    await asyncio.sleep(0.6)
    assert (await store.get(session.id)) is None


async def test_directory_seed_is_repeatable_without_duplicates(redis: Redis) -> None:
    prefix = f"t-{uuid.uuid4().hex[:6]}"
    directory = RedisDirectory(redis, prefix, load_world())
    await directory.seed()
    first = (await directory.access_managers("310614289"), len(await directory.people()))
    await directory.seed()
    second = (await directory.access_managers("310614289"), len(await directory.people()))
    assert first == second
    assert set(first[0]) == {"12887010186", "03897610069", "05816510068"}
    assert first[1] == 6
    relation = await directory.relation("05816510068", "310614289")
    assert relation is not None
    assert "ske-krav-og-betalinger" not in relation.rights
    assert [p.org_no for p in await directory.parties("17848310182")] == ["313222225"]
    assert await directory.relation("24859010020", "310614289") is None

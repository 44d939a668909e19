"""A secure Redis has one ACL user per service, confined to its own key prefix; ``default`` is off.

The server is a second one, of this module only, on a free port."""

from __future__ import annotations

import asyncio
import shutil
import stat
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from shared import topics
from shared.runtime import create_redis
from sysaccess import credentials, infra
from sysaccess.profiles import TEST


@pytest.fixture(scope="module")
def secure() -> Iterator[infra.InfraLayout]:
    layout = infra.InfraLayout(
        TEST.var / "secure-redis",
        kafka_port=infra.free_port(),
        kafka_controller_port=infra.free_port(),
        redis_port=infra.free_port(),
        oidc_port=infra.free_port(),
        secure=True,
    )
    infra.stop_redis(layout, force=True)
    shutil.rmtree(layout.data_dir, ignore_errors=True)
    infra.start_redis(layout)
    try:
        yield layout
    finally:
        infra.stop_redis(layout)


def _as(layout: infra.InfraLayout, name: str) -> Redis:
    found = layout.credentials(name)
    return create_redis(
        f"redis://127.0.0.1:{layout.redis_port}/0",
        username=found.redis_username,
        password=found.redis_password,
    )


@pytest.fixture
async def admin(secure: infra.InfraLayout) -> AsyncIterator[Redis]:
    client = _as(secure, credentials.ADMIN)
    yield client
    await client.aclose()


@pytest.fixture
async def intake(secure: infra.InfraLayout) -> AsyncIterator[Redis]:
    client = _as(secure, topics.REQUEST_INTAKE)
    yield client
    await client.aclose()


@pytest.fixture
async def approval(secure: infra.InfraLayout) -> AsyncIterator[Redis]:
    client = _as(secure, topics.APPROVAL)
    yield client
    await client.aclose()


def test_the_acl_file_is_private_and_holds_no_password(secure: infra.InfraLayout) -> None:
    users = secure.redis_dir / "users.acl"
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    text = users.read_text()
    for name in credentials.PRINCIPALS:
        assert secure.credentials(name).redis_password not in text


async def test_intake_uses_its_own_keys(intake: Redis) -> None:
    await intake.set("intake:acl-test", "1")
    assert await intake.get("intake:acl-test") == "1"
    async with intake.pipeline(transaction=True) as pipe:
        pipe.hset("intake:acl-test:h", "a", "1")
        pipe.xadd("intake:outbox-acl-test", {"topic": "t", "body": "{}"})
        await pipe.execute()
    await intake.xgroup_create("intake:outbox-acl-test", "relay", id="0", mkstream=True)
    read = await intake.xreadgroup("relay", "c1", {"intake:outbox-acl-test": ">"}, count=10)
    assert read
    script = intake.register_script("return redis.call('INCR', KEYS[1])")
    assert await script(keys=["intake:acl-test:counter"]) == 1
    assert await intake.ping()
    await intake.set("intake-1a2b3c:acl-test", "a test's own prefix")


async def test_intake_cannot_touch_approvals_keys_even_from_a_script(intake: Redis) -> None:
    with pytest.raises(NoPermissionError):
        await intake.get("approval:request:1")
    script = intake.register_script("return redis.call('GET', KEYS[1])")
    with pytest.raises((NoPermissionError, ResponseError)):
        await script(keys=["approval:request:1"])


async def test_approval_cannot_read_intakes_keys(admin: Redis, approval: Redis) -> None:
    await admin.set("intake:system:acl-test", "secret")
    with pytest.raises(NoPermissionError):
        await approval.get("intake:system:acl-test")
    with pytest.raises(NoPermissionError):
        await approval.xrange("intake:outbox")


@pytest.mark.parametrize("command", [("FLUSHALL",), ("FLUSHDB",), ("KEYS", "*"), ("CONFIG", "GET", "*")])
async def test_approval_cannot_run_dangerous_commands(
    admin: Redis, approval: Redis, command: tuple[str, ...]
) -> None:
    await admin.set("approval:acl-test:kept", "1")
    with pytest.raises(NoPermissionError):
        await approval.execute_command(*command)  # type: ignore[no-untyped-call]
    assert await admin.get("approval:acl-test:kept") == "1"


async def test_the_default_user_is_off(secure: infra.InfraLayout) -> None:
    anonymous = create_redis(secure.redis_url)
    try:
        with pytest.raises((AuthenticationError, ResponseError)):
            await anonymous.get("intake:acl-test")
    finally:
        await anonymous.aclose()


async def test_a_wrong_password_is_refused(secure: infra.InfraLayout) -> None:
    client = create_redis(secure.redis_url, username=topics.APPROVAL, password="not-the-password")
    try:
        with pytest.raises(AuthenticationError):
            await client.ping()
    finally:
        await client.aclose()


async def test_the_login_may_ride_in_the_url(secure: infra.InfraLayout) -> None:
    client = create_redis(secure.redis_url_as(topics.NOTIFIER))
    try:
        await client.set("notifier:acl-test", "1")
        with pytest.raises(NoPermissionError):
            await client.get("intake:acl-test")
    finally:
        await client.aclose()


async def test_a_services_transactions_survive_a_restart(secure: infra.InfraLayout) -> None:
    """Redis 7.0 replays the AOF's MULTI/EXEC blocks as ``default``; with a ``default`` stripped of
    permissions it dropped them all at restart (the AOF said NOPERM)."""
    before = _as(secure, topics.APPROVAL)
    try:
        async with before.pipeline(transaction=True) as pipe:
            pipe.set("approval:acl-test:tx", "kept")
            pipe.sadd("approval:acl-test:set", "a", "b")
            await pipe.execute()
    finally:
        await before.aclose()
    await asyncio.to_thread(infra.stop_redis, secure)
    await asyncio.to_thread(infra.start_redis, secure)
    after = _as(secure, topics.APPROVAL)
    try:
        assert await after.get("approval:acl-test:tx") == "kept"
        assert await after.scard("approval:acl-test:set") == 2
    finally:
        await after.aclose()

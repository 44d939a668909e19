"""`sysaccess backup` and `sysaccess restore` against a running system: after a wipe of Redis
and a restore, the earlier requests read as before through the vendor API and new flows complete.

The system runs on its own Redis and Kafka (like the fault tier), since the test stops, wipes
and replaces its Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from sysaccess import infra
from sysaccess.backup import BackupError, backup_redis, restore_redis
from sysaccess.flows import REQUESTS, FlowDriver, decision_for
from sysaccess.infra import PROJECT_ROOT
from sysaccess.stack import LocalStack

STATUS = {"approve": "Accepted", "reject": "Rejected"}


@pytest.fixture(scope="module")
async def system() -> AsyncIterator[LocalStack]:
    stack = LocalStack(PROJECT_ROOT / "var" / "test" / f"backup-restore-{os.getpid()}")
    await asyncio.to_thread(stack.start)
    try:
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)
        shutil.rmtree(stack.folder, ignore_errors=True)


def sysaccess(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sysaccess.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    print(f"$ sysaccess {' '.join(args)}\n{done.stdout}{done.stderr}")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def views(vendor: httpx.AsyncClient, request_ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for rid in request_ids:
        response = await vendor.get(f"{REQUESTS}/{rid}")
        found[rid] = response.json() if response.status_code == 200 else response.status_code
    return found


async def until(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await check()
        except (httpx.HTTPError, OSError) as exc:  # services reconnecting to the restored Redis
            last = exc
        else:
            if last:
                return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.mark.timeout(240)
async def test_a_restored_backup_brings_back_every_request_and_the_system_goes_on(
    system: LocalStack, tmp_path: Path
) -> None:
    redis = Redis.from_url(system.layout.admin_redis_url, decode_responses=True)
    driver = FlowDriver(system, "314000110_smartcloud", uuid.uuid4().hex[:8], deadline_seconds=90)
    await driver.open()
    vendor = system.vendor()
    try:
        indexes = [0, 1, 2, 7]
        assert [decision_for(i) for i in indexes] == ["approve", "approve", "approve", "reject"]
        results = await asyncio.gather(*(driver.run(i) for i in indexes))
        assert [r.error for r in results] == [None] * len(indexes)
        expected = {str(r.request_id): STATUS[r.decision] for r in results}
        ids = list(expected)

        async def all_decided() -> dict[str, Any]:
            seen = await views(vendor, ids)
            done = all(isinstance(v, dict) and v["status"] == expected[k] for k, v in seen.items())
            return seen if done else {}

        before = await until(all_decided, "the vendor to see every decision")

        backup = tmp_path / "backup"
        out = sysaccess(
            "backup", "--to", str(backup), "--data-dir", str(system.folder),
            "--redis-port", str(system.layout.redis_port),
        )  # fmt: skip
        assert "AOF copy valid" in out
        manifest = json.loads((backup / "backup.json").read_text())
        assert manifest["rdb_keys"] > 0
        assert {f["path"] for f in manifest["files"]} >= {"dump.rdb", "appendonlydir/appendonly.aof.manifest"}

        # Disaster: every key is gone.
        await redis.flushall()
        assert set((await views(vendor, ids)).values()) == {404}

        out = sysaccess(
            "restore", "--from", str(backup), "--data-dir", str(system.folder),
            "--redis-port", str(system.layout.redis_port), "--yes",
        )  # fmt: skip
        assert "restored from the AOF copy" in out

        async def as_before() -> bool:
            return bool(await views(vendor, ids) == before)

        await until(as_before, "the vendor to read every earlier request as before")
        await redis.aclose()  # its connection ended with the Redis it talked to
        redis = Redis.from_url(system.layout.admin_redis_url, decode_responses=True)
        for rid in ids:
            assert await redis.exists(f"approval:request:{rid}"), "the portal's copy came back too"

        # The system goes on: a new flow completes end to end.
        fresh = await driver.run(3)
        assert fresh.error is None
        new_id = str(fresh.request_id)

        async def accepted() -> bool:
            view = (await views(vendor, [new_id]))[new_id]
            return isinstance(view, dict) and view["status"] == "Accepted"

        await until(accepted, "the new request to be accepted")
        # The system access made before the backup is still known: the same request again is refused.
        again = await vendor.post(REQUESTS, json=driver.body(indexes[0]))
        assert again.status_code == 400, again.text
        assert (again.json()["code"], again.json()["systemUserId"]) == ("AUTH-00004", ids[0])
    finally:
        await vendor.aclose()
        await driver.close()
        await redis.aclose()


@pytest.fixture
def bare_redis(tmp_path: Path) -> Iterator[infra.InfraLayout]:
    layout = infra.InfraLayout(tmp_path / "var", redis_port=infra.free_port())
    infra.start_redis(layout)
    try:
        yield layout
    finally:
        infra.stop_redis(layout)


def test_the_snapshot_alone_restores_and_a_damaged_backup_is_refused(
    bare_redis: infra.InfraLayout, tmp_path: Path
) -> None:
    client = SyncRedis.from_url(bare_redis.redis_url, decode_responses=True)
    try:
        client.mset({f"intake:request:{i}": json.dumps({"n": i}) for i in range(50)})
        client.xadd("intake:outbox", {"topic": "t"})
        client.xgroup_create("intake:outbox", "relay", id="0")
        made = backup_redis(bare_redis.redis_url, tmp_path / "backup")
    finally:
        client.close()
    assert (made.rdb_keys, made.aof_valid) == (51, True)

    # Redis 7 with appendonly ignores a bare dump.rdb; restore makes it the base of a new AOF.
    result = restore_redis(bare_redis, tmp_path / "backup", source="rdb")
    assert (result.source, result.keys) == ("rdb", 51)
    client = SyncRedis.from_url(bare_redis.redis_url, decode_responses=True)
    try:
        assert client.get("intake:request:7") == json.dumps({"n": 7})
        assert client.xinfo_groups("intake:outbox")[0]["name"] == "relay"
    finally:
        client.close()
    infra.stop_redis(bare_redis)  # and it survives a restart from its new AOF
    infra.start_redis(bare_redis)
    client = SyncRedis.from_url(bare_redis.redis_url, decode_responses=True)
    try:
        assert client.dbsize() == 51
    finally:
        client.close()

    with pytest.raises(BackupError, match="exists already"):
        backup_redis(bare_redis.redis_url, tmp_path / "backup")
    damaged = tmp_path / "backup" / "dump.rdb"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    with pytest.raises(BackupError, match="checksum"):
        restore_redis(bare_redis, tmp_path / "backup")

"""`sysaccess dlq` against a real system: records dead-lettered while a dependency was broken are
replayed after the fix, applied exactly once, and a second replay changes nothing.

The broken dependency is the notifier's write access to its Redis keys (an ACL change gone
wrong): approvals go on, intake records them, but the notifier's handler of
SystemAccessCreated fails every retry, so the events land on the topic's dead-letter topic and
no webhook goes out. Once the ACL is fixed, a replay makes the notifier deliver each webhook
once; the intake, which also reads the topic, sees the replayed records and ignores them.

The system runs on its own Kafka and Redis (like the fault tier): on the session's shared
topics, the session's notifier would deliver these webhooks too and spoil the count.
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
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from redis.asyncio import Redis

from shared import topics
from sysaccess import dlq, infra
from sysaccess.flows import FlowDriver, decision_for
from sysaccess.infra import PROJECT_ROOT
from sysaccess.kafka_logins import admin_options
from sysaccess.stack import LocalStack
from sysaccess.topic_reader import read_topic
from sysaccess.webhook_receiver import Receiver, webhook_receiver

FLOWS = 5
TOPIC = topics.ACCESS_CREATED.name
DLQ = topics.ACCESS_CREATED.dead_letter
# The broker's admin login, for the CLI runs (set once the module's stack is up).
ADMIN_ENV: dict[str, str] = {}
READERS = ("notifier", "request-intake")  # the consumer groups of TOPIC


@pytest.fixture(scope="module")
async def system() -> AsyncIterator[LocalStack]:
    stack = LocalStack(PROJECT_ROOT / "var" / "test" / f"dlq-replay-{os.getpid()}")
    await asyncio.to_thread(stack.start)
    admin = infra.admin_kafka_credentials(stack.layout)
    ADMIN_ENV.update(SYSACCESS_KAFKA_USERNAME=admin.username, SYSACCESS_KAFKA_PASSWORD=admin.password)
    try:
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)
        shutil.rmtree(stack.folder, ignore_errors=True)


def cli(*args: str, bootstrap: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sysaccess.cli", "dlq", *args, "--bootstrap", bootstrap],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250", **ADMIN_ENV},
        cwd=PROJECT_ROOT,
        timeout=90,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"$ sysaccess dlq {' '.join(args)}\n{done.stdout}")  # shown with -s, and on failure
    return done.stdout


async def acl(redis: Redis, *rules: str) -> None:
    await redis.execute_command("ACL", "SETUSER", "notifier", *rules)  # type: ignore[no-untyped-call]


async def dead_letters_of(bootstrap: str, request_ids: set[str]) -> list[dlq.DeadLetter]:
    letters = await dlq.read_dead_letters(bootstrap, DLQ)
    return [d for d in letters if (d.payload() or {}).get("requestId") in request_ids]


def webhooks(receiver: Receiver) -> Counter[str]:
    """Deliveries per request id."""
    per_request: Counter[str] = Counter()
    for delivery in list(receiver.deliveries):
        body = json.loads(delivery.body)
        if body["eventType"] == "SystemAccessCreated":
            per_request[body["data"]["requestId"]] += 1
    return per_request


async def caught_up(bootstrap: str, timeout: float = 60.0) -> None:
    """Wait until every group reading TOPIC has committed up to its end."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_options(bootstrap))
    await admin.start()
    try:
        probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, **admin_options(bootstrap))
        await probe.start()
        try:
            await probe._client.force_metadata_update()
            tps = [TopicPartition(TOPIC, p) for p in probe.partitions_for_topic(TOPIC) or ()]
            assert tps
            end = await probe.end_offsets(tps)
        finally:
            await probe.stop()
        deadline = time.monotonic() + timeout
        behind: dict[str, int] = {}
        while time.monotonic() < deadline:
            behind = {}
            for group in READERS:
                # One consumer group per service, over all its topics (shared.routing).
                committed = await admin.list_consumer_group_offsets(group, partitions=tps)
                behind[group] = sum(
                    end[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
                    for tp in tps
                )
            if not any(behind.values()):
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"consumers did not catch up with {TOPIC}: {behind}")
    finally:
        await admin.close()


async def wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(240)
async def test_dead_letters_replayed_after_the_fix_apply_exactly_once(system: LocalStack) -> None:
    bootstrap = system.layout.kafka_bootstrap
    redis = Redis.from_url(system.layout.admin_redis_url, decode_responses=True)
    try:
        with webhook_receiver() as receiver:
            system_id = await system.register_hook_system(receiver.url)

            async def notifier_knows_system() -> bool:
                return bool(await redis.exists(f"notifier:system:{system_id}"))

            await wait_for(notifier_knows_system, "the notifier to learn the system")

            # Break it: the notifier may read its keys but no longer write them.
            await acl(redis, "resetkeys", "%R~notifier:*")
            driver = FlowDriver(system, system_id, uuid.uuid4().hex[:8], deadline_seconds=90)
            await driver.open()
            try:
                indexes = [i for i in range(40) if decision_for(i) == "approve"][:FLOWS]
                results = await asyncio.gather(*(driver.run(i) for i in indexes))
            finally:
                await driver.close()
            assert [r.error for r in results] == [None] * FLOWS
            request_ids = {str(r.request_id) for r in results}

            async def all_dead_lettered() -> list[dlq.DeadLetter]:
                found = await dead_letters_of(bootstrap, request_ids)
                return found if len(found) == FLOWS else []

            letters = await wait_for(all_dead_lettered, "the notifier to dead-letter every event", 90)
            assert {d.reason for d in letters} == {"exhausted"}
            assert all("NOPERM" in d.error or "permission" in d.error.lower() for d in letters), letters[
                0
            ].error
            assert all(d.original_topic == TOPIC for d in letters)
            assert webhooks(receiver) == Counter(), "no webhook may go out while the notifier cannot write"

            # The tools see them.
            listed = cli("list", "--topic", TOPIC, bootstrap=bootstrap)
            for letter in letters:
                assert str(letter.id) in listed
                assert letter.event_id in listed
            shown = cli("show", str(letters[0].id), bootstrap=bootstrap)
            assert letters[0].event_id in shown
            assert "dlq-error" in shown
            assert "NOPERM" in shown or "permission" in shown.lower()
            assert TOPIC in shown

            # Fix the cause, then replay the five by id.
            await acl(redis, "resetkeys", "~notifier:*", "~notifier-*:*")
            ids = [arg for d in letters for arg in ("--id", str(d.id))]
            replayed = cli("replay", "--topic", TOPIC, *ids, bootstrap=bootstrap)
            assert f"{FLOWS} republished, 0 skipped" in replayed
            assert replayed.count("original record") == FLOWS  # headers came from the original records

            async def every_webhook() -> Counter[str]:
                counted = webhooks(receiver)
                return counted if set(counted) >= request_ids else Counter()

            await wait_for(every_webhook, "a webhook for every replayed event")
            await caught_up(bootstrap)
            await asyncio.sleep(3.0)  # a duplicate delivery would show up by now
            assert webhooks(receiver) == Counter(dict.fromkeys(request_ids, 1))
            for letter in letters:
                assert await redis.exists(f"notifier:inbox:{letter.event_id}")

            # Replaying again (everything on the dead-letter topic) is a no-op for every reader.
            before_state = {rid: await redis.get(f"intake:request:{rid}") for rid in request_ids}
            again = cli("replay", "--topic", DLQ, "--all", bootstrap=bootstrap)
            assert f"{FLOWS} republished, 0 skipped" in again
            await caught_up(bootstrap)
            await asyncio.sleep(3.0)
            assert webhooks(receiver) == Counter(dict.fromkeys(request_ids, 1))
            assert len(await dead_letters_of(bootstrap, request_ids)) == FLOWS  # no new dead letters
            assert {rid: await redis.get(f"intake:request:{rid}") for rid in request_ids} == before_state
            copies = [
                r
                for r in await read_topic(bootstrap, TOPIC)
                if json.loads(r.value)["requestId"] in request_ids
            ]
            assert len(copies) == 3 * FLOWS  # the originals and two replays, all of them read

        # The vendor sees every request accepted, once.
        async with system.vendor() as vendor:
            for rid in request_ids:
                body = (await vendor.get(f"/authentication/api/v1/systemuser/request/vendor/{rid}")).json()
                assert body["status"] == "Accepted", body
    finally:
        await acl(redis, "resetkeys", "~notifier:*", "~notifier-*:*")
        await redis.aclose()

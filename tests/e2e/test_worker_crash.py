"""Killing the approval process mid-stream loses no decision and duplicates no outcome."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis

from shared import events as ev
from tests.e2e.conftest import Stack
from tests.e2e.support import new_request, vendor_status
from tests.support.kafka import publish, wait_for_records

DRESS_MINST = "12887010186"


async def known_to_approval(stack: Stack, request_ids: list[str], timeout: float = 30.0) -> None:
    redis = Redis.from_url(stack.endpoints.redis_url, decode_responses=True)
    try:
        for _ in range(int(timeout / 0.2)):
            if await redis.exists(*(f"approval:request:{i}" for i in request_ids)) == len(request_ids):
                return
            await asyncio.sleep(0.2)
        raise AssertionError("approval did not learn of every request")
    finally:
        await redis.aclose()


async def test_kill_approval_mid_stream(stack: Stack) -> None:
    requests = [await new_request(stack) for _ in range(40)]
    commands = []
    for request in requests:
        for _ in range(2):  # a double click: two commands for the same request
            commands.append(
                ev.DecideRequest(
                    request_id=uuid.UUID(request["id"]),
                    party_org_no="310614289",
                    decision=ev.Decision.APPROVE,
                    actor_pid=DRESS_MINST,
                )
            )
    # A person decides only on a request the portal shows, so wait until approval has them all.
    await known_to_approval(stack, [r["id"] for r in requests])
    approval = stack.processes["approval"]
    await publish(stack.endpoints.kafka_bootstrap, *commands)
    await asyncio.sleep(0.3)
    approval.kill()
    approval.start()
    approval.wait_healthy()
    await asyncio.sleep(0.5)
    approval.kill()
    approval.start()
    approval.wait_healthy()
    ids = {r["id"] for r in requests}
    created = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.access-created.v1",
        lambda r: r["value"]["requestId"] in ids,
        count=len(ids),
        timeout=60,
        settle=2.0,
    )
    by_request: dict[str, set[str]] = {}
    for record in created:
        by_request.setdefault(record["value"]["requestId"], set()).add(record["value"]["eventId"])
    assert set(by_request) == ids, "a decision was lost"
    duplicated = {k: v for k, v in by_request.items() if len(v) != 1}
    assert duplicated == {}, "an outcome was produced twice"
    for request in requests[:5]:
        await vendor_status(stack, request["id"], "Accepted")

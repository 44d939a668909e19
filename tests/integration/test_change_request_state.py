"""approval's change requests in a real Redis: arrival once, two changes of one access decided at
once both applied, a redelivered decision applied once, expiry once, denial when the access is
deleted; each with its outbox event."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from services.approval.domain.deletion import Deleted, delete_access
from services.approval.domain.history import HistoryKind
from services.approval.domain.models import SystemAccess
from services.approval.services.change_requests import ChangeRequestsArriving, ChangeRequestWorker
from services.approval.storage.accesses import RedisAccesses
from services.approval.storage.change_requests import RedisChangeRequests
from services.approval.storage.directory import RedisDirectory
from services.approval.storage.history import RedisHistory
from services.approval.storage.keys import ApprovalKeys
from shared import events as ev
from shared.world import load_world
from tests.support.infra import Endpoints

TIGER = "310614289"
DRESS_MINST = "12887010186"
KRAV, MVA = "ske-krav-og-betalinger", "app_skd_mva-melding"
SKATT = "urn:altinn:accesspackage:skattnaering"
NOW = datetime.now(UTC)


@pytest.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> str:
    prefix = f"approval-cr{uuid.uuid4().hex[:6]}"
    await RedisDirectory(redis, prefix, load_world()).seed()
    return prefix


async def stored_access(redis: Redis, prefix: str) -> str:
    access_id = str(uuid.uuid4())
    access = SystemAccess(
        id=access_id,
        request_type=ev.RequestType.STANDARD,
        system_id="314000110_smartcloud",
        vendor_org_no="314000110",
        party_org_no=TIGER,
        external_ref=TIGER,
        integration_title="SmartCloud",
        rights=(KRAV,),
        access_packages=(SKATT,),
        created_by=DRESS_MINST,
        created=NOW,
    )
    await redis.set(ApprovalKeys(prefix).access(access_id), access.to_json())
    return access_id


def requested(
    access_id: str,
    expires_at: datetime = NOW + timedelta(days=1),
    required_rights: tuple[str, ...] = (),
    unwanted_rights: tuple[str, ...] = (),
) -> ev.SystemAccessChangeRequested:
    return ev.SystemAccessChangeRequested(
        change_request_id=uuid.uuid4(),
        system_access_id=uuid.UUID(access_id),
        request_type=ev.RequestType.STANDARD,
        system_id="314000110_smartcloud",
        system_name={"nb": "SmartCloud"},
        vendor_org_no="314000110",
        party_org_no=TIGER,
        external_ref=TIGER,
        required_rights=required_rights,
        unwanted_rights=unwanted_rights,
        created=NOW,
        expires_at=expires_at,
    )


def approve(event: ev.SystemAccessChangeRequested) -> ev.DecideChangeRequest:
    return ev.DecideChangeRequest(
        change_request_id=event.change_request_id,
        party_org_no=TIGER,
        decision=ev.Decision.APPROVE,
        actor_pid=DRESS_MINST,
    )


async def outbox(redis: Redis, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    entries = await redis.xrange(ApprovalKeys(prefix).outbox)
    return [
        (json.loads(str(f["headers"]))["event-type"], json.loads(str(f["body"])))
        for _, f in entries or []
        if f
    ]


async def test_two_changes_of_one_access_decided_at_once_are_both_applied(redis: Redis, prefix: str) -> None:
    changes = RedisChangeRequests(redis, prefix)
    arriving = ChangeRequestsArriving(changes)
    worker = ChangeRequestWorker(changes, RedisDirectory(redis, prefix, load_world()))
    access_id = await stored_access(redis, prefix)
    add_mva = requested(access_id, required_rights=(MVA,))
    drop_krav = requested(access_id, unwanted_rights=(KRAV,))
    for event in (add_mva, drop_krav):
        assert await arriving.arrived(event)
        assert not await arriving.arrived(event)  # redelivered: known

    first, second = approve(add_mva), approve(drop_krav)
    assert list(await asyncio.gather(worker.handle(first), worker.handle(second))) == [True, True]
    assert not await worker.handle(first)  # a redelivered command changes nothing

    raw = await redis.get(ApprovalKeys(prefix).access(access_id))
    assert raw is not None
    access = SystemAccess.model_validate_json(raw)
    assert access.rights == (MVA,)
    assert access.access_packages == (SKATT,)
    events = await outbox(redis, prefix)
    assert [t for t, _ in events] == ["SystemAccessChanged", "SystemAccessChanged"]
    assert sorted(tuple(b["rightsAdded"]) + tuple(b["rightsRemoved"]) for _, b in events) == [(MVA,), (KRAV,)]
    history = await RedisHistory(redis, prefix).history_of(access_id)
    assert [h.kind for h in history] == [HistoryKind.CHANGED, HistoryKind.CHANGED]
    for event in (add_mva, drop_krav):
        stored = await changes.get_change_request(str(event.change_request_id))
        assert stored is not None
        assert stored.status == "Accepted"


async def test_a_change_request_times_out_once(redis: Redis, prefix: str) -> None:
    changes = RedisChangeRequests(redis, prefix)
    arriving = ChangeRequestsArriving(changes, clock=lambda: NOW + timedelta(seconds=1))
    access_id = await stored_access(redis, prefix)
    late = requested(access_id, expires_at=NOW, required_rights=(MVA,))
    pending = requested(access_id, required_rights=(MVA,))
    await arriving.arrived(late)
    await arriving.arrived(pending)
    assert await arriving.expire_due() == 1
    assert await arriving.expire_due() == 0
    assert [t for t, _ in await outbox(redis, prefix)] == ["ChangeRequestTimedOut"]
    refused = await ChangeRequestWorker(changes, RedisDirectory(redis, prefix, load_world())).handle(
        approve(late)
    )
    assert refused  # applied as a refusal: the access is unchanged and no event is written
    assert [t for t, _ in await outbox(redis, prefix)] == ["ChangeRequestTimedOut"]


async def test_deleting_the_access_denies_its_pending_change_requests(redis: Redis, prefix: str) -> None:
    changes = RedisChangeRequests(redis, prefix)
    arriving = ChangeRequestsArriving(changes)
    worker = ChangeRequestWorker(changes, RedisDirectory(redis, prefix, load_world()))
    access_id = await stored_access(redis, prefix)
    decided, pending = (
        requested(access_id, required_rights=(MVA,)),
        requested(access_id, unwanted_rights=(KRAV,)),
    )
    for event in (decided, pending):
        await arriving.arrived(event)
    assert await worker.handle(approve(decided))

    outcome = await RedisAccesses(redis, prefix).delete_access(
        access_id, lambda access: delete_access(access, TIGER, DRESS_MINST)
    )

    assert isinstance(outcome, Deleted)
    statuses = {
        str(event.change_request_id): getattr(
            await changes.get_change_request(str(event.change_request_id)), "status", None
        )
        for event in (decided, pending)
    }
    assert statuses == {str(decided.change_request_id): "Accepted", str(pending.change_request_id): "Denied"}
    # Denied is final: it no longer expires, and a decision on it is refused without an event.
    assert (
        await redis.zscore(ApprovalKeys(prefix).change_expiry_index, str(pending.change_request_id)) is None
    )
    await worker.handle(approve(pending))
    assert [t for t, _ in await outbox(redis, prefix)] == ["SystemAccessChanged", "SystemAccessDeleted"]
    denied = await changes.get_change_request(str(pending.change_request_id))
    assert denied is not None
    assert denied.status == "Denied"

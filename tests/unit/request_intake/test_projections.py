"""OutcomeProjection: the approval service's outcomes, mirrored once per event id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from services.request_intake.domain.requests import AccessRequest, NaturalKey
from services.request_intake.services.projections import OutcomeProjection
from shared import events as ev
from tests.unit.request_intake.fakes import (
    FLINK,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    Memory,
    access_created,
)

pytestmark = pytest.mark.unit

REQUEST_ID = UUID(int=7)
KEY = NaturalKey(SYSTEM_ID, TIGER, "ref-1")
PARTIES: dict[str, Any] = {"system_id": SYSTEM_ID, "vendor_org_no": SMARTCLOUD, "party_org_no": TIGER}


def pending(memory: Memory, status: str = "New") -> AccessRequest:
    request = AccessRequest.model_validate(
        {
            "id": str(REQUEST_ID),
            "request_type": ev.RequestType.STANDARD,
            "external_ref": "ref-1",
            "integration_title": "SmartCloud",
            "status": status,
            "created": T0,
            "expires_at": T0 + timedelta(days=1),
            **PARTIES,
        }
    )
    memory.requests[request.id] = request
    return request


def stored(memory: Memory) -> AccessRequest:
    return memory.requests[str(REQUEST_ID)]


async def test_access_created_accepts_and_stores_the_access(
    projection: OutcomeProjection, memory: Memory
) -> None:
    event = access_created(pending(memory))
    assert await projection.access_created(event)
    assert stored(memory).status == "Accepted"
    assert memory.live_access[KEY] == str(REQUEST_ID)
    access = memory.accesses[str(REQUEST_ID)]
    assert (access.vendor_org_no, access.party_org_no, access.created) == (SMARTCLOUD, TIGER, T0)


async def test_a_redelivered_event_changes_nothing(projection: OutcomeProjection, memory: Memory) -> None:
    event = access_created(pending(memory))
    assert await projection.access_created(event)
    memory.requests[str(REQUEST_ID)] = stored(memory).model_copy(update={"status": "New"})
    assert not await projection.access_created(event)
    assert stored(memory).status == "New"


async def test_an_unknown_request_stores_no_access(projection: OutcomeProjection, memory: Memory) -> None:
    request = pending(Memory())
    assert await projection.access_created(access_created(request))
    assert memory.accesses == {}


@pytest.mark.parametrize(("before", "after"), [("New", "Rejected"), ("Accepted", "Accepted")])
async def test_rejected(before: str, after: str, projection: OutcomeProjection, memory: Memory) -> None:
    pending(memory, before)
    event = ev.SystemAccessRequestRejected(
        request_id=REQUEST_ID, rejected_by="12887010186", rejected_at=T0, **PARTIES
    )
    assert await projection.request_rejected(event)
    assert stored(memory).status == after


@pytest.mark.parametrize(("before", "after"), [("New", "Timedout"), ("Rejected", "Rejected")])
async def test_timed_out(before: str, after: str, projection: OutcomeProjection, memory: Memory) -> None:
    pending(memory, before)
    assert await projection.request_timed_out(ev.RequestTimedOut(request_id=REQUEST_ID, **PARTIES))
    assert stored(memory).status == after


async def test_escalated_keeps_the_status(projection: OutcomeProjection, memory: Memory) -> None:
    pending(memory)
    event = ev.RequestEscalated(
        request_id=REQUEST_ID,
        request_type=ev.RequestType.STANDARD,
        escalated_by="21927110056",
        escalated_at=T0,
        access_managers=("12887010186",),
        **PARTIES,
    )
    assert await projection.request_escalated(event)
    assert (stored(memory).status, stored(memory).escalated) == ("New", True)


async def test_access_deleted_frees_the_key_and_forgets_the_clients(
    projection: OutcomeProjection, memory: Memory
) -> None:
    await projection.access_created(access_created(pending(memory)))
    memory.clients[str(REQUEST_ID)] = {FLINK}
    event = ev.SystemAccessDeleted(
        system_access_id=REQUEST_ID, external_ref="ref-1", deleted_by="12887010186", **PARTIES
    )
    assert await projection.access_deleted(event)
    assert memory.accesses[str(REQUEST_ID)].is_deleted
    assert KEY not in memory.live_access
    assert str(REQUEST_ID) not in memory.clients


async def test_access_deleted_leaves_a_newer_access_on_the_key(
    projection: OutcomeProjection, memory: Memory
) -> None:
    await projection.access_created(access_created(pending(memory)))
    memory.live_access[KEY] = "a-newer-access"
    event = ev.SystemAccessDeleted(
        system_access_id=REQUEST_ID, external_ref="ref-1", deleted_by="12887010186", **PARTIES
    )
    await projection.access_deleted(event)
    assert memory.live_access[KEY] == "a-newer-access"


async def test_clients_added_and_removed(projection: OutcomeProjection, memory: Memory) -> None:
    change: dict[str, Any] = {
        "system_access_id": REQUEST_ID,
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "facilitator_org_no": FLINK,
    }
    added = ev.ClientAdded(client_org_no="311543210", added_by="17848310182", **change)
    assert await projection.client_added(added)
    assert not await projection.client_added(added)
    assert memory.clients[str(REQUEST_ID)] == {"311543210"}
    removed = ev.ClientRemoved(client_org_no="311543210", removed_by="17848310182", **change)
    assert await projection.client_removed(removed)
    assert memory.clients[str(REQUEST_ID)] == set()

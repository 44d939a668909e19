"""AccessRequests: open, read, list and withdraw requests, with in-memory storage."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from services.request_intake.domain.paging import PageCursor
from services.request_intake.domain.refusals import Refusal, RefusalKind
from services.request_intake.domain.requests import NaturalKey
from services.request_intake.services.requests import AccessRequests
from shared import events as ev
from tests.unit.request_intake.conftest import TTL
from tests.unit.request_intake.fakes import (
    FLINK,
    RECEIPT,
    SKATT,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    FakeClock,
    Memory,
    agent_spec,
    registered,
    seeded_spec,
    standard_spec,
)

pytestmark = pytest.mark.unit

FIRST_ID = str(UUID(int=1))
STANDARD, AGENT = ev.RequestType.STANDARD, ev.RequestType.AGENT


def refusal_of(excinfo: pytest.ExceptionInfo[Refusal]) -> tuple[RefusalKind, str]:
    return excinfo.value.kind, excinfo.value.code


async def test_open_stores_the_request_and_its_event(requests: AccessRequests, memory: Memory) -> None:
    opened = await requests.open(standard_spec(), SMARTCLOUD)
    assert opened.created
    request = opened.request
    assert (request.id, request.status, request.request_type) == (FIRST_ID, "New", STANDARD)
    assert (request.created, request.expires_at) == (T0, T0 + TTL)
    assert request.integration_title == "SmartCloud"
    assert memory.requests[FIRST_ID] == request
    [event] = memory.outbox
    assert isinstance(event, ev.SystemAccessRequested)
    assert (event.request_id, event.external_ref, event.redirect_url) == (UUID(int=1), "ref-1", RECEIPT)
    assert (event.rights, event.access_packages) == (("ske-krav-og-betalinger",), (SKATT,))
    assert event.system_name == {"nb": "SmartCloud", "en": "SmartCloud", "nn": "SmartCloud"}


async def test_external_ref_defaults_to_the_party(requests: AccessRequests) -> None:
    opened = await requests.open(standard_spec(external_ref=None), SMARTCLOUD)
    assert opened.request.external_ref == TIGER


async def test_open_agent_request(requests: AccessRequests) -> None:
    opened = await requests.open(agent_spec(), SMARTCLOUD)
    assert opened.request.request_type is AGENT


async def test_a_repeated_post_returns_the_pending_request(requests: AccessRequests, memory: Memory) -> None:
    first = await requests.open(standard_spec(), SMARTCLOUD)
    again = await requests.open(standard_spec(), SMARTCLOUD)
    assert not again.created
    assert again.request == first.request
    assert len(memory.outbox) == 1


async def test_an_expired_request_does_not_block_a_new_one(
    requests: AccessRequests, memory: Memory, clock: FakeClock
) -> None:
    await requests.open(standard_spec(), SMARTCLOUD)
    clock.advance(TTL)
    again = await requests.open(standard_spec(), SMARTCLOUD)
    assert again.created
    assert again.request.id != FIRST_ID
    assert len(memory.outbox) == 2


async def test_an_active_access_refuses_the_request(requests: AccessRequests, memory: Memory) -> None:
    memory.live_access[NaturalKey(SYSTEM_ID, TIGER, "ref-1")] = "access-1"
    with pytest.raises(Refusal) as refused:
        await requests.open(standard_spec(), SMARTCLOUD)
    assert refusal_of(refused) == (RefusalKind.INVALID, "AUTH-00004")
    assert refused.value.details == {"systemUserId": "access-1"}
    assert memory.outbox == []


async def test_a_request_for_another_vendors_system_is_not_found(
    requests: AccessRequests, memory: Memory
) -> None:
    with pytest.raises(Refusal) as refused:
        await requests.open(standard_spec(), FLINK)
    assert refusal_of(refused) == (RefusalKind.NOT_FOUND, "AUTH-00011")
    assert memory.requests == {}


async def test_a_request_the_system_does_not_cover_is_refused(
    requests: AccessRequests, memory: Memory
) -> None:
    with pytest.raises(Refusal) as refused:
        await requests.open(standard_spec(redirect_url="https://evil.example/"), SMARTCLOUD)
    assert refusal_of(refused) == (RefusalKind.INVALID, "AUTH-00021")
    assert memory.outbox == []


async def test_the_stored_system_is_checked_again(requests: AccessRequests, memory: Memory) -> None:
    # A system stored before a rule tightened: its right no longer exists in the seed data.
    broken = seeded_spec(rights=[{"resource": [{"id": "urn:altinn:resource", "value": "gone"}]}])
    memory.systems[SYSTEM_ID] = registered(broken)
    with pytest.raises(Refusal) as refused:
        await requests.open(standard_spec(), SMARTCLOUD)
    assert refused.value.code == "AUTH.VLD-00003"


async def test_get_and_find_show_only_the_vendors_requests_of_the_type(requests: AccessRequests) -> None:
    opened = await requests.open(standard_spec(), SMARTCLOUD)
    key = NaturalKey(SYSTEM_ID, TIGER, "ref-1")
    assert await requests.get(FIRST_ID, SMARTCLOUD, STANDARD) == opened.request
    assert await requests.find(key, SMARTCLOUD, STANDARD) == opened.request
    for call in (
        requests.get(FIRST_ID, FLINK, STANDARD),
        requests.get(FIRST_ID, SMARTCLOUD, AGENT),
        requests.get("no-such-id", SMARTCLOUD, STANDARD),
        requests.find(key, SMARTCLOUD, AGENT),
    ):
        with pytest.raises(Refusal) as refused:
            await call
        assert refusal_of(refused) == (RefusalKind.NOT_FOUND, "AUTH-00010")


async def test_a_request_past_its_expiry_reads_timed_out(requests: AccessRequests, clock: FakeClock) -> None:
    await requests.open(standard_spec(), SMARTCLOUD)
    clock.advance(TTL - timedelta(milliseconds=1))
    assert (await requests.get(FIRST_ID, SMARTCLOUD, STANDARD)).status == "New"
    clock.advance(timedelta(milliseconds=1))
    assert (await requests.get(FIRST_ID, SMARTCLOUD, STANDARD)).status == "Timedout"


async def test_page_walks_the_system_in_creation_order(requests: AccessRequests, clock: FakeClock) -> None:
    opened = []
    for n in range(3):
        opened.append((await requests.open(standard_spec(f"ref-{n}"), SMARTCLOUD)).request)
        clock.advance(timedelta(seconds=1))
    first = await requests.page(SYSTEM_ID, SMARTCLOUD, STANDARD, None)
    assert first.requests == tuple(opened[:2])
    assert first.next is not None
    second = await requests.page(SYSTEM_ID, SMARTCLOUD, STANDARD, first.next.to_token())
    assert second.requests == (opened[2],)
    assert second.next is None
    assert (await requests.page(SYSTEM_ID, SMARTCLOUD, AGENT, None)).requests == ()


async def test_page_of_another_vendors_system_is_not_found_before_the_token_is_read(
    requests: AccessRequests,
) -> None:
    with pytest.raises(Refusal) as refused:
        await requests.page(SYSTEM_ID, FLINK, STANDARD, "%%%")
    assert refused.value.code == "AUTH-00011"


async def test_page_refuses_a_bad_token(requests: AccessRequests) -> None:
    with pytest.raises(Refusal) as refused:
        await requests.page(SYSTEM_ID, SMARTCLOUD, STANDARD, PageCursor("not-a-position").to_token())
    assert refusal_of(refused) == (RefusalKind.INVALID, "AUTH.VLD-TOKEN")


async def test_withdraw_frees_the_natural_key(requests: AccessRequests, memory: Memory) -> None:
    await requests.open(standard_spec(), SMARTCLOUD)
    await requests.withdraw(FIRST_ID, SMARTCLOUD)
    assert memory.requests[FIRST_ID].withdrawn
    withdrawn = memory.outbox[-1]
    assert isinstance(withdrawn, ev.RequestWithdrawn)
    assert (withdrawn.request_id, withdrawn.vendor_org_no, withdrawn.party_org_no) == (
        UUID(int=1),
        SMARTCLOUD,
        TIGER,
    )
    with pytest.raises(Refusal):
        await requests.get(FIRST_ID, SMARTCLOUD, STANDARD)
    assert (await requests.open(standard_spec(), SMARTCLOUD)).created


async def test_withdraw_is_refused_for_others_and_twice(requests: AccessRequests, memory: Memory) -> None:
    await requests.open(standard_spec(), SMARTCLOUD)
    with pytest.raises(Refusal) as refused:
        await requests.withdraw(FIRST_ID, FLINK)
    assert refusal_of(refused) == (RefusalKind.NOT_FOUND, "AUTH-00010")
    await requests.withdraw(FIRST_ID, SMARTCLOUD)
    with pytest.raises(Refusal):
        await requests.withdraw(FIRST_ID, SMARTCLOUD)
    assert sum(isinstance(e, ev.RequestWithdrawn) for e in memory.outbox) == 1

"""Client administration and deletion over the BFF: bulk, authorization, all-or-nothing, re-request."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from redis.asyncio import Redis

from services.approval.storage.directory import RedisDirectory
from shared.orgno import mod11_check_digit
from shared.world import ClientRelationship, Organisation, World
from tests.e2e.conftest import Stack, login, standard_body
from tests.e2e.support import REQUESTS, new_request, vendor_status
from tests.support.kafka import wait_for_records

FLINK = "313222225"
TIGER = "310614289"
STILLE_ELV = "315555000"
TRYGG_BAKERI = "311543210"
PRESIS_KALKULATOR = "17848310182"
DRESS_MINST = "12887010186"
CLIENT_PACKAGES = ["regnskapsforer-med-signeringsrettighet", "regnskapsforer-lonn"]
DELEGATION = "/accessmanagement/api/v1/systemuser/agentdelegation"


def generated_org_numbers(count: int, start: int = 92000000) -> list[str]:
    found: list[str] = []
    base = start
    while len(found) < count:
        digit = mod11_check_digit(f"{base:08d}")
        if digit is not None:
            found.append(f"{base:08d}{digit}")
        base += 1
    return found


async def seed_clients(stack: Stack, org_nos: list[str]) -> None:
    world = World(
        organisations=tuple(Organisation(org_no=o, name=f"KLIENT {o} AS") for o in org_nos),
        client_relationships=tuple(
            ClientRelationship(
                facilitator_org_no=FLINK,
                client_org_no=o,
                relation="regnskapsforer",
                access_packages=tuple(CLIENT_PACKAGES),
            )
            for o in org_nos
        ),
    )
    redis = Redis.from_url(stack.endpoints.redis_url, decode_responses=True)
    try:
        await RedisDirectory(redis, "approval", world).seed()
    finally:
        await redis.aclose()


async def forget_clients(stack: Stack, org_nos: list[str]) -> None:
    """Take the generated clients out of the shared directory again: other tests read FLINK's list."""
    redis = Redis.from_url(stack.endpoints.redis_url, decode_responses=True)
    try:
        await redis.hdel(f"approval:dir:clients:{FLINK}", *org_nos)
    finally:
        await redis.aclose()


async def approved_client_access(stack: Stack) -> str:
    request = await new_request(stack, agent=True, party=FLINK)
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, PRESIS_KALKULATOR)
        done = await client.post(
            f"/accessmanagement/api/v1/systemuser/agentrequest/{FLINK}/{request['id']}/approve",
            headers={"X-CSRF-Token": csrf},
        )
        assert done.status_code == 200, done.text
    access_id: str = request["id"]
    return access_id


async def test_bulk_add_of_200_clients_emits_one_event_each(stack: Stack) -> None:
    org_nos = generated_org_numbers(200)
    await seed_clients(stack, org_nos)
    try:
        await _bulk_add(stack, org_nos)
    finally:
        await forget_clients(stack, org_nos)


async def _bulk_add(stack: Stack, org_nos: list[str]) -> None:
    access_id = await approved_client_access(stack)
    async with httpx.AsyncClient(base_url=stack.portal, timeout=60) as client:
        csrf = await login(client, stack.portal, PRESIS_KALKULATOR)
        customers = (await client.get(f"{DELEGATION}/{FLINK}/{access_id}/customers")).json()
        assert {c["orgNo"] for c in customers["addable"]} >= set(org_nos)
        added = await client.post(
            f"{DELEGATION}/{FLINK}/{access_id}/delegation", json=org_nos, headers={"X-CSRF-Token": csrf}
        )
        assert added.status_code == 200, added.text
        assert len(added.json()["added"]) == 200
        again = await client.post(
            f"{DELEGATION}/{FLINK}/{access_id}/delegation", json=org_nos[:10], headers={"X-CSRF-Token": csrf}
        )
        assert again.json()["added"] == []  # already clients: nothing twice
        current = (await client.get(f"{DELEGATION}/{FLINK}/{access_id}/delegation")).json()
        assert len(current) == 200
    events = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.client-added.v1",
        lambda r: r["value"]["systemAccessId"] == access_id,
        count=200,
        settle=1.0,
    )
    assert sorted(e["value"]["clientOrgNo"] for e in events) == sorted(org_nos)
    async with stack.vendor() as vendor:
        for _ in range(100):
            listed = (
                await vendor.get(f"/authentication/api/v1/systemuser/vendor/{access_id}/clients")
            ).json()
            if len(listed["data"]) == 200:
                break
            await asyncio.sleep(0.1)
    assert len(listed["data"]) == 200


async def test_clients_that_do_not_qualify_are_refused_and_nothing_changes(stack: Stack) -> None:
    access_id = await approved_client_access(stack)
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, PRESIS_KALKULATOR)
        headers = {"X-CSRF-Token": csrf}
        missing = await client.post(
            f"{DELEGATION}/{FLINK}/{access_id}/delegation", json=[TRYGG_BAKERI, STILLE_ELV], headers=headers
        )
        assert missing.status_code == 400
        assert missing.json()["code"] == "AUTH-00080"
        unknown = await client.post(
            f"{DELEGATION}/{FLINK}/{access_id}/delegation", json="314000110", headers=headers
        )
        assert unknown.status_code == 400
        assert unknown.json()["code"] == "AUTH-00079"
        malformed = await client.post(
            f"{DELEGATION}/{FLINK}/{access_id}/delegation", json="12345", headers=headers
        )
        assert malformed.status_code == 400
        assert (await client.get(f"{DELEGATION}/{FLINK}/{access_id}/delegation")).json() == []


async def test_another_facilitators_user_cannot_add_or_remove(stack: Stack) -> None:
    access_id = await approved_client_access(stack)
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as owner:
        csrf = await login(owner, stack.portal, PRESIS_KALKULATOR)
        await owner.post(
            f"{DELEGATION}/{FLINK}/{access_id}/delegation", json=TIGER, headers={"X-CSRF-Token": csrf}
        )
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as stranger:
        csrf = await login(stranger, stack.portal, DRESS_MINST)
        headers = {"X-CSRF-Token": csrf}
        responses: list[Any] = [
            await stranger.post(
                f"{DELEGATION}/{FLINK}/{access_id}/delegation", json=TRYGG_BAKERI, headers=headers
            ),
            await stranger.delete(f"{DELEGATION}/{FLINK}/{access_id}/delegation/{TIGER}", headers=headers),
            await stranger.post(
                f"{DELEGATION}/{TIGER}/{access_id}/delegation", json=TRYGG_BAKERI, headers=headers
            ),
            await stranger.delete(f"{DELEGATION}/{TIGER}/{access_id}/delegation/{TIGER}", headers=headers),
            await stranger.get(f"{DELEGATION}/{FLINK}/{access_id}/customers"),
        ]
    assert [r.status_code for r in responses] == [403, 403, 404, 404, 403]
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as owner:
        await login(owner, stack.portal, PRESIS_KALKULATOR)
        current = (await owner.get(f"{DELEGATION}/{FLINK}/{access_id}/delegation")).json()
    assert [c["orgNo"] for c in current] == [TIGER]


async def test_delete_then_request_again(stack: Stack) -> None:
    request = await new_request(stack)
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        headers = {"X-CSRF-Token": csrf}
        approved = await client.post(
            f"/accessmanagement/api/v1/systemuser/request/{TIGER}/{request['id']}/approve", headers=headers
        )
        assert approved.status_code == 200
        await vendor_status(stack, request["id"], "Accepted")
        async with stack.vendor() as vendor:
            again = await vendor.post(REQUESTS, json=standard_body(request["externalRef"]))
            assert again.status_code == 400
            assert again.json()["code"] == "AUTH-00004"
        deleted = await client.delete(
            f"/accessmanagement/api/v1/systemuser/{TIGER}/{request['id']}", headers=headers
        )
        assert deleted.status_code == 200
        twice = await client.delete(
            f"/accessmanagement/api/v1/systemuser/{TIGER}/{request['id']}", headers=headers
        )
        assert twice.status_code == 404
    events = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.access-deleted.v1",
        lambda r: r["value"]["systemAccessId"] == request["id"],
        settle=1.0,
    )
    assert len(events) == 1
    query = {"system-id": "314000110_smartcloud", "orgno": TIGER, "external-ref": request["externalRef"]}
    async with stack.vendor() as vendor:
        for _ in range(100):
            if (
                await vendor.get("/authentication/api/v1/systemuser/vendor/byquery", params=query)
            ).status_code == 404:
                break
            await asyncio.sleep(0.1)
        fresh = await vendor.post(REQUESTS, json=standard_body(request["externalRef"]))
    assert fresh.status_code == 201
    assert fresh.json()["id"] != request["id"]


async def test_withdrawn_request_cannot_be_decided_and_says_so(stack: Stack) -> None:
    request = await new_request(stack)
    async with stack.vendor() as vendor:
        other = await vendor.delete(
            f"{REQUESTS}/{request['id']}", headers={"Authorization": f"Bearer {stack.other_vendor_token}"}
        )
        assert other.status_code == 404
        assert (await vendor.delete(f"{REQUESTS}/{request['id']}")).status_code == 202
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        for _ in range(100):
            view = (await client.get(f"/accessmanagement/api/v1/systemuser/request/{request['id']}")).json()
            if view["status"] == "Withdrawn":
                break
            await asyncio.sleep(0.1)
        assert view["status"] == "Withdrawn"
        refused = await client.post(
            f"/accessmanagement/api/v1/systemuser/request/{TIGER}/{request['id']}/approve",
            headers={"X-CSRF-Token": csrf},
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == "AUTH-00013"
        page = await client.get(f"/accessmanagement/ui/systemuser/request?id={request['id']}")
        assert "trukket tilbake" in page.text
    withdrawn = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.request-withdrawn.v1",
        lambda r: r["value"]["requestId"] == request["id"],
        settle=0.5,
    )
    assert len(withdrawn) == 1

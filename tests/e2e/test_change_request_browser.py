"""Change requests end to end: an approved access, the vendor asks to change it, an access manager
approves (or rejects) in Chromium; the vendor's webhook hears it and the decision point follows.

All three services run as processes. The change request page passes axe-core in nb, nn and en.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from sysaccess.webhook_receiver import Receiver, webhook_receiver
from tests.e2e.conftest import Stack, login, sign_in
from tests.e2e.support import vendor_status, wait_known_to_portal
from tests.e2e.test_accessibility_browser import BLOCKING, axe_violations
from tests.e2e.test_system_user_browser import vendor_receipt
from tests.support import krav_og_betalinger

TIGER, FLINK = "310614289", "313222225"
DRESS_MINST = "12887010186"
KRAV, MVA, SYKMELDING = "ske-krav-og-betalinger", "app_skd_mva-melding", "nav-sykmelding"
SKATT = "urn:altinn:accesspackage:skattnaering"
RECEIPT = "https://smartcloud.example/receipt"
REGISTER = "/authentication/api/v1/systemregister/vendor"
REQUESTS = "/authentication/api/v1/systemuser/request/vendor"
CHANGES = "/authentication/api/v1/systemuser/changerequest/vendor"
BFF = "/accessmanagement/api/v1/systemuser"


def right(resource: str) -> dict[str, Any]:
    return {"resource": [{"id": "urn:altinn:resource", "value": resource}]}


async def hooked_system(stack: Stack, webhook_url: str) -> str:
    """A SMARTCLOUD AS system with three rights, a package and a webhook."""
    system_id = f"314000110_change{uuid.uuid4().hex[:8]}"
    body = {
        "id": system_id,
        "vendor": {"authority": "iso6523-actorid-upis", "ID": "0192:314000110"},
        "name": {"nb": "SmartCloud Endring", "nn": "SmartCloud Endring", "en": "SmartCloud Change"},
        "description": {"nb": "Regnskap i skyen", "nn": "Rekneskap i skya", "en": "Accounting in the cloud"},
        "rights": [right(KRAV), right(MVA), right(SYKMELDING)],
        "accessPackages": [{"urn": SKATT}],
        "isVisible": False,
        "allowedRedirectUrls": [RECEIPT],
        "webhookUrl": webhook_url,
    }
    async with stack.vendor() as vendor:
        response = await vendor.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    await asyncio.sleep(1.0)  # approval and the notifier learn the system from the register's event
    return system_id


async def approved_access(stack: Stack, system_id: str) -> dict[str, Any]:
    """A request for KRAV and Skatt næring, approved by DRESS MINST over the BFF."""
    body = {
        "systemId": system_id,
        "partyOrgNo": TIGER,
        "externalRef": f"change-{uuid.uuid4().hex[:8]}",
        "rights": [right(KRAV)],
        "accessPackages": [{"urn": SKATT}],
    }
    async with stack.vendor() as vendor:
        created = await vendor.post(REQUESTS, json=body)
    assert created.status_code == 201, created.text
    request: dict[str, Any] = created.json()
    await wait_known_to_portal(stack, request["id"])
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        done = await client.post(
            f"{BFF}/request/{TIGER}/{request['id']}/approve", headers={"X-CSRF-Token": csrf}
        )
        assert done.status_code == 200, done.text
    await vendor_status(stack, request["id"], "Accepted")
    return request


async def ask_change(stack: Stack, access_id: str, body: dict[str, Any]) -> dict[str, Any]:
    params = {"correlation-id": str(uuid.uuid4()), "system-user-id": access_id}
    async with stack.vendor() as vendor:
        for _ in range(100):  # intake applies SystemAccessCreated asynchronously
            response = await vendor.post(CHANGES, params=params, json=body)
            if response.status_code != 404:
                break
            await asyncio.sleep(0.1)
    assert response.status_code == 201, response.text
    change: dict[str, Any] = response.json()
    await wait_change_known(stack, change["id"])
    return change


async def wait_change_known(stack: Stack, change_id: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(stack.endpoints.redis_url, decode_responses=True)
    try:
        for _ in range(200):
            if await redis.exists(f"approval:changerequest:{change_id}"):
                return
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()
    raise AssertionError(f"approval never saw change request {change_id}")


async def change_status(stack: Stack, change_id: str, want: str) -> dict[str, Any]:
    async with stack.vendor() as vendor:
        for _ in range(150):
            body: dict[str, Any] = (await vendor.get(f"{CHANGES}/{change_id}")).json()
            if body.get("status") == want:
                return body
            await asyncio.sleep(0.1)
    raise AssertionError(f"vendor never read {want} for {change_id}: {body}")


async def delivery(receiver: Receiver, event_type: str, change_id: str) -> dict[str, Any]:
    for _ in range(150):
        for d in receiver.deliveries:
            payload: dict[str, Any] = json.loads(d.body)
            if payload["eventType"] == event_type and payload["data"].get("changeRequestId") == change_id:
                assert not re.search(r"\b\d{11}\b", d.body.decode()), "a person number reached the vendor"
                return payload
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {event_type} webhook for {change_id}")


async def decision(stack: Stack, access_id: str, resource: str) -> str:
    async with httpx.AsyncClient(base_url=stack.intake, timeout=30) as client:
        response = await client.post(
            "/authorization/api/v1/systemuser/decision",
            json={"systemUserId": access_id, "resource": resource, "action": "read", "organisation": TIGER},
            headers={
                "Authorization": "Bearer "
                + stack.tokens.get(krav_og_betalinger.SKATTEETATEN, ["altinn:authorization/authorize"])
            },
        )
    assert response.status_code == 200, response.text
    answer: str = response.json()["decision"]
    return answer


async def check_axe_in_every_language(page: Page, url: str) -> None:
    violations = []
    for lang in ("nn", "en", "nb"):  # bokmål last: the page is left in bokmål for the test
        await page.goto(f"{url}&lang={lang}")
        await expect(page.locator("h1")).to_be_visible()
        violations += [
            v for v in await axe_violations(page, f"changerequest-{lang}") if v["impact"] in BLOCKING
        ]
    assert violations == []


async def test_approve_a_change_in_the_browser_then_reject_another(stack: Stack, browser: Browser) -> None:
    with webhook_receiver() as receiver:
        system_id = await hooked_system(stack, receiver.url)
        access = await approved_access(stack, system_id)
        access_id = access["id"]
        assert await decision(stack, access_id, SYKMELDING) == "Deny"
        assert await decision(stack, access_id, KRAV) == "Permit"

        change = await ask_change(
            stack,
            access_id,
            {
                "requiredRights": [right(SYKMELDING)],
                "unwantedRights": [right(KRAV)],
                "unwantedAccessPackages": [{"urn": SKATT}],
                "redirectUrl": RECEIPT,
            },
        )
        context = await browser.new_context(locale="nb-NO")
        await context.route("https://smartcloud.example/**", vendor_receipt)
        page = await context.new_page()
        try:
            await page.goto(change["confirmUrl"])
            await sign_in(page, "DRESS MINST")
            await page.wait_for_url("**/systemuser/changerequest?id=*")
            await check_axe_in_every_language(page, change["confirmUrl"])
            await expect(
                page.get_by_role("heading", name="Godkjenn endring av systemtilgang")
            ).to_be_visible()
            added = page.locator('[data-change="added"]')
            removed = page.locator('[data-change="removed"]')
            await expect(added.get_by_role("heading", name="Dette legges til")).to_be_visible()
            await expect(added.locator(f'[data-item="{SYKMELDING}"]')).to_contain_text("Sykmelding")
            await expect(removed.get_by_role("heading", name="Dette fjernes")).to_be_visible()
            await expect(removed.locator(f'[data-item="{KRAV}"]')).to_contain_text("Krav og betalinger")
            await expect(removed.locator(f'[data-item="{SKATT}"]')).to_contain_text("Skatt næring")

            # Unlike Altinn, a decision sent for another party than the change request's is refused.
            async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
                csrf = await login(client, stack.portal, DRESS_MINST)
                elsewhere = await client.post(
                    f"{BFF}/changerequest/{FLINK}/{change['id']}/approve", headers={"X-CSRF-Token": csrf}
                )
                assert elsewhere.status_code == 404, elsewhere.text

            await page.get_by_role("button", name="Godkjenn endringen").click()
            await page.wait_for_url(RECEIPT)
        finally:
            await context.close()

        await change_status(stack, change["id"], "Accepted")
        changed = await delivery(receiver, "SystemAccessChanged", change["id"])
        assert changed["data"]["rightsAdded"] == [SYKMELDING]
        assert changed["data"]["rightsRemoved"] == [KRAV]
        assert changed["data"]["accessPackagesRemoved"] == [SKATT]
        assert changed["data"]["changedBy"] == {"actorType": "person", "role": "access-manager"}
        for _ in range(50):
            if await decision(stack, access_id, SYKMELDING) == "Permit":
                break
            await asyncio.sleep(0.1)
        assert await decision(stack, access_id, SYKMELDING) == "Permit"
        assert await decision(stack, access_id, KRAV) == "Deny"

        # The reject path: MVA is asked for and refused; the access stays as it is.
        second = await ask_change(stack, access_id, {"requiredRights": [right(MVA)]})
        context = await browser.new_context(locale="nb-NO")
        page = await context.new_page()
        try:
            await page.goto(f"{second['confirmUrl']}&skiplogout=true")
            await sign_in(page, "DRESS MINST")
            await page.wait_for_url("**/systemuser/changerequest?id=*")
            await expect(page.locator(f'[data-change="added"] [data-item="{MVA}"]')).to_be_visible()
            await expect(page.locator('[data-change="removed"]')).to_have_count(0)
            await page.get_by_role("button", name="Avvis").click()
            await page.wait_for_url("**/systemuser/overview**")
            # The access's history names the approved change, with what it added and removed.
            await page.goto(f"{stack.portal}/accessmanagement/ui/systemuser/{access_id}?party={TIGER}")
            changed_row = page.locator('[data-history="changed"]')
            await expect(changed_row).to_contain_text("DRESS MINST")
            await expect(changed_row).to_contain_text("Sykmelding")
        finally:
            await context.close()
        await change_status(stack, second["id"], "Rejected")
        rejected = await delivery(receiver, "SystemAccessChangeRejected", second["id"])
        assert rejected["data"]["rejectedBy"] == {"actorType": "person", "role": "access-manager"}
        assert await decision(stack, access_id, MVA) == "Deny"

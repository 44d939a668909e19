"""Client system access in Chromium: approve, add clients in one action, the vendor sees them."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, expect

from tests.e2e.conftest import Stack, sign_in
from tests.e2e.support import new_request, vendor_status
from tests.e2e.test_approval_browser import open_as
from tests.support.kafka import wait_for_records

FLINK = "313222225"
TRYGG_BAKERI = "311543210"
TIGER = "310614289"
STILLE_ELV = "315555000"


async def test_presis_kalkulator_adds_two_clients_in_one_action(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack, agent=True, party=FLINK)
    context, page = await open_as(browser, request["confirmUrl"], "PRESIS KALKULATOR")
    try:
        await page.get_by_role("button", name="Godkjenn").click()
        await page.wait_for_url("**/accessmanagement/ui/loggedout")
    finally:
        await context.close()
    await vendor_status(stack, request["id"], "Accepted", agent=True)

    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    try:
        await page.goto(f"{stack.portal}/accessmanagement/ui/systemuser/overview?party={FLINK}")
        await sign_in(page, "PRESIS KALKULATOR")
        await page.wait_for_url("**/systemuser/overview**")
        row = page.locator(f'[data-access="{request["id"]}"]')
        await row.get_by_role("link", name="Klienter").click()
        await page.wait_for_url("**/agentdelegation/**")
        addable = page.locator('[data-list="addable"]')
        await expect(addable.locator(f'[data-client="{TRYGG_BAKERI}"]')).to_contain_text("TRYGG BAKERI AS")
        await expect(addable.locator(f'[data-client="{TIGER}"]')).to_contain_text("DISKRET NÆR TIGER AS")
        blocked = page.locator(f'[data-list="not-addable"] [data-client="{STILLE_ELV}"]')
        await expect(blocked).to_contain_text("STILLE ELV AS")
        await expect(blocked).to_contain_text("Regnskapsfører med signeringsrettighet")
        await addable.get_by_label("TRYGG BAKERI AS", exact=False).check()
        await addable.get_by_label("DISKRET NÆR TIGER AS", exact=False).check()
        await page.get_by_role("button", name="Legg til valgte").click()
        current = page.locator('[data-list="current"]')
        await expect(current.locator("[data-client]")).to_have_count(2)
    finally:
        await context.close()

    clients: list[str] = []
    async with stack.vendor() as vendor:
        for _ in range(100):
            response = await vendor.get(f"/authentication/api/v1/systemuser/vendor/{request['id']}/clients")
            clients = [c["orgNo"] for c in response.json()["data"]]
            if len(clients) == 2:
                break
            await asyncio.sleep(0.1)
        assert sorted(clients) == sorted([TRYGG_BAKERI, TIGER])
        other_vendor = await vendor.get(
            f"/authentication/api/v1/systemuser/vendor/{request['id']}/clients",
            headers={"Authorization": "Bearer " + stack.other_vendor_token},
        )
        assert other_vendor.status_code == 404

    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    try:
        await page.goto(
            f"{stack.portal}/accessmanagement/ui/systemuser/agentdelegation/{request['id']}?party={FLINK}"
        )
        await sign_in(page, "PRESIS KALKULATOR")
        await page.wait_for_url("**/agentdelegation/**")
        await page.get_by_role("button", name="Fjern TRYGG BAKERI AS").click()
        await expect(page.locator('[data-list="current"] [data-client]')).to_have_count(1)
    finally:
        await context.close()
    removed = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.client-removed.v1",
        lambda r: r["value"]["systemAccessId"] == request["id"],
        settle=1.0,
    )
    assert len(removed) == 1
    assert removed[0]["value"]["clientOrgNo"] == TRYGG_BAKERI
    added = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.client-added.v1",
        lambda r: r["value"]["systemAccessId"] == request["id"],
        count=2,
    )
    assert sorted(r["value"]["clientOrgNo"] for r in added) == sorted([TRYGG_BAKERI, TIGER])

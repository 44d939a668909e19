"""The complete portal in Chromium: names, details and history, delete with confirmation, the client
page's search, pages, "Legg til alle" and own organisation, and the languages."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import Stack, login, sign_in
from tests.e2e.support import new_request
from tests.e2e.test_accessibility_browser import approved_agent_access
from tests.support.kafka import wait_for_records

TIGER = "310614289"
FLINK = "313222225"
TRYGG_BAKERI = "311543210"
DRESS_MINST = "12887010186"
UI = "/accessmanagement/ui/systemuser"


async def approved_standard_access(stack: Stack) -> str:
    request = await new_request(
        stack,
        rights=[
            {"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]},
            {"resource": [{"id": "urn:altinn:resource", "value": "nav-sykmelding"}]},
        ],
    )
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        done = await client.post(
            f"/accessmanagement/api/v1/systemuser/request/{TIGER}/{request['id']}/approve",
            headers={"X-CSRF-Token": csrf},
        )
        assert done.status_code == 200, done.text
    access_id: str = request["id"]
    return access_id


async def signed_in(browser: Browser, url: str, person: str, locale: str = "nb-NO") -> Page:
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(url)
    await sign_in(page, person)
    await page.wait_for_url("**/accessmanagement/ui/**")
    return page


async def test_overview_details_history_and_delete_after_confirmation(stack: Stack, browser: Browser) -> None:
    access_id = await approved_standard_access(stack)
    page = await signed_in(browser, f"{stack.portal}{UI}/overview?party={TIGER}", "DRESS MINST")
    try:
        own = page.locator('[data-list="accesses"][data-kind="own"]')
        row = own.locator(f'[data-access="{access_id}"]')
        await expect(page.get_by_role("heading", name="Egne systemtilganger")).to_be_visible()
        await expect(page.get_by_role("heading", name="Systemtilganger for klienter")).to_be_visible()
        await expect(row).to_contain_text("Krav og betalinger, Sykmelding")
        await expect(row).not_to_contain_text("ske-krav-og-betalinger")
        await expect(row).to_contain_text("Skatt næring")

        await row.get_by_role("link").first.click()
        await page.wait_for_url(f"**{UI}/{access_id}?party={TIGER}")
        history = page.locator('[data-list="history"]')
        await expect(history.locator('[data-history="requested"]')).to_contain_text(
            "SMARTCLOUD AS ba om systemtilgangen"
        )
        await expect(history.locator('[data-history="approved"]')).to_contain_text("Godkjent av DRESS MINST")
        await expect(history).not_to_contain_text(DRESS_MINST)
        await expect(page.locator('[data-package="urn:altinn:accesspackage:skattnaering"]')).to_contain_text(
            "Gir tilgang til: Krav og betalinger, MVA-melding"
        )

        await page.get_by_role("link", name=re.compile("^Slett")).click()
        await expect(page.get_by_role("heading", name="Slette systemtilgangen?")).to_be_visible()
        await expect(page.get_by_text("Dette kan ikke angres.")).to_be_visible()
        await page.get_by_role("button", name="Ja, slett").click()
        await page.wait_for_url(f"**/overview?party={TIGER}&deleted={access_id}")
        await expect(page.locator(f'[data-deleted="{access_id}"]')).to_contain_text("er slettet")
        await expect(page.locator(f'[data-access="{access_id}"]')).to_have_count(0)

        await page.get_by_role("link", name="Se historikken").click()
        await expect(page.locator('[data-status="deleted"]')).to_have_text("Slettet")
        await expect(page.locator('[data-history="deleted"]')).to_contain_text("Slettet av DRESS MINST")
    finally:
        await page.context.close()
    deleted = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.access-deleted.v1",
        lambda r: r["value"]["systemAccessId"] == access_id,
    )
    assert deleted[0]["value"]["deletedBy"] == DRESS_MINST


async def test_client_page_search_pages_add_all_and_own_organisation(stack: Stack, browser: Browser) -> None:
    access_id = await approved_agent_access(stack)
    clients_url = f"{stack.portal}{UI}/agentdelegation/{access_id}?party={FLINK}"
    page = await signed_in(browser, clients_url, "PRESIS KALKULATOR")
    try:
        lonn = page.locator('[data-package="urn:altinn:accesspackage:regnskapsforer-lonn"]')
        await expect(lonn).to_contain_text("Regnskapsfører lønn")
        await expect(lonn).to_contain_text("Gir tilgang til: Sykmelding")
        await expect(page.locator('[data-own="not-assignable"]')).to_contain_text(
            "FLINK REGNSKAP AS kan ikke legges til"
        )

        await page.get_by_label("Søk etter klient").fill("bakeri")
        await page.get_by_role("button", name="Søk", exact=True).click()
        await page.wait_for_url("**q=bakeri**")
        addable = page.locator('[data-list="addable"] [data-client]')
        await expect(addable).to_have_count(1)
        await expect(addable).to_contain_text("TRYGG BAKERI AS")
        await page.get_by_role("link", name="Vis alle").click()

        await page.goto(f"{clients_url}&size=1")
        pager = page.locator('[data-pager="addable_page"]')
        await expect(pager).to_contain_text("Side 1 av")
        await pager.get_by_role("link", name="Neste side").click()
        await expect(page.locator('[data-pager="addable_page"]')).to_contain_text("Side 2 av")

        add_all = page.locator('[data-action="add-all"]')
        label = await add_all.inner_text()
        count = int(re.findall(r"\d+", label)[-1])
        assert count >= 2
        await add_all.click()
        await expect(page.locator('[data-list="addable"]')).to_have_count(0)
        await expect(page.locator('[data-action="add-all"]')).to_have_count(0)
        added = await wait_for_records(
            stack.endpoints.kafka_bootstrap,
            "sysaccess.client-added.v1",
            lambda r: r["value"]["systemAccessId"] == access_id,
            count=count,
        )
        assert len(added) == count
        assert TRYGG_BAKERI in {r["value"]["clientOrgNo"] for r in added}

        await page.goto(f"{clients_url}&q=bakeri")
        await page.get_by_role("button", name="Fjern TRYGG BAKERI AS").click()
        await expect(page.locator(f'[data-list="current"] [data-client="{TRYGG_BAKERI}"]')).to_have_count(0)

        await page.goto(f"{stack.portal}{UI}/{access_id}?party={FLINK}")
        history = page.locator('[data-list="history"]')
        await expect(history.locator('[data-history="client-removed"]')).to_contain_text(
            "PRESIS KALKULATOR fjernet klienten TRYGG BAKERI AS (311543210)"
        )
        await expect(history.locator('[data-history="client-added"]')).to_have_count(count)

        await page.goto(f"{stack.portal}{UI}/{access_id}/delete?party={FLINK}")
        await expect(page.get_by_text("Klientene som er lagt til, fjernes også:")).to_be_visible()
        await expect(page.locator(f'[data-list="clients"] [data-client="{TIGER}"]')).to_be_visible()
    finally:
        await page.context.close()


async def test_languages_follow_the_browser_then_the_choice(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack)
    page = await signed_in(browser, request["confirmUrl"], "DRESS MINST", locale="nn-NO")
    try:
        assert await page.get_attribute("html", "lang") == "nn"
        await expect(page.get_by_text("Du kan når som helst trekkje tilbake godkjenninga.")).to_be_visible()
        await expect(page.get_by_text("Gjev tilgang til: Krav og betalingar, MVA-melding")).to_be_visible()
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", name="Approve system access")).to_be_visible()
        await page.goto(f"{stack.portal}{UI}/overview")
        await expect(page.get_by_role("heading", name="Own system accesses")).to_be_visible()
    finally:
        await page.context.close()

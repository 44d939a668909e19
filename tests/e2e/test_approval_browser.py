"""The seed document's flows in a real headless Chromium, against all three services."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from tests.e2e.conftest import Stack, sign_in
from tests.e2e.support import new_request, vendor_status

DRESS_MINST = "12887010186"
RECEIPT = "https://smartcloud.example/receipt"


async def vendor_receipt(route: Route) -> None:
    await route.fulfill(status=200, content_type="text/html", body="<h1>SmartCloud receipt</h1>")


async def open_as(browser: Browser, url: str, person: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(locale="nb-NO")
    await context.route("https://smartcloud.example/**", vendor_receipt)
    page = await context.new_page()
    await page.goto(url)
    await sign_in(page, person)
    await page.wait_for_url("**/accessmanagement/ui/systemuser/**")
    return context, page


async def test_dress_minst_approves_and_lands_on_the_receipt(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack, redirectUrl=RECEIPT)
    context, page = await open_as(browser, request["confirmUrl"], "DRESS MINST")
    try:
        await expect(page.get_by_role("heading", name="Godkjenn systemtilgang")).to_be_visible()
        await expect(page.get_by_text("SMARTCLOUD AS (314000110)")).to_be_visible()
        await expect(page.locator('[data-right="ske-krav-og-betalinger"]')).to_have_text("Krav og betalinger")
        package = page.locator('[data-package="urn:altinn:accesspackage:skattnaering"]')
        await expect(package).to_contain_text("Skatt næring")
        await expect(package).to_contain_text("Gir tilgang til: Krav og betalinger, MVA-melding")
        await expect(page.locator("[data-description]")).to_have_text("Regnskap i skyen")
        await expect(page.get_by_text("Du kan når som helst trekke tilbake godkjenningen")).to_be_visible()
        old_cookies = await context.cookies()
        await page.get_by_role("button", name="Godkjenn").click()
        await page.wait_for_url(RECEIPT)
        await expect(page.get_by_role("heading", name="SmartCloud receipt")).to_be_visible()
    finally:
        await context.close()

    session_cookie = {c["name"]: c["value"] for c in old_cookies}
    async with httpx.AsyncClient(base_url=stack.portal, cookies=session_cookie) as replay:
        assert (await replay.get("/accessmanagement/api/v1/me")).status_code == 401
        page_again = await replay.get(f"/accessmanagement/ui/systemuser/request?id={request['id']}")
        assert page_again.status_code == 303
        assert page_again.headers["location"].startswith("/login")

    accepted = await vendor_status(stack, request["id"], "Accepted")
    assert accepted["id"] == request["id"]
    async with stack.vendor() as vendor:
        access = await vendor.get(
            "/authentication/api/v1/systemuser/vendor/byquery",
            params={
                "system-id": "314000110_smartcloud",
                "orgno": "310614289",
                "external-ref": request["externalRef"],
            },
        )
    assert access.status_code == 200
    assert access.json()["id"] == request["id"]


async def test_reject_without_redirect_url_goes_to_logged_out_page(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack, redirectUrl=None)
    context, page = await open_as(browser, request["confirmUrl"], "DRESS MINST")
    try:
        await page.get_by_role("button", name="Avvis").click()
        await page.wait_for_url("**/accessmanagement/ui/loggedout")
        await expect(page.get_by_text("Du er nå logget ut.").first).to_be_visible()
        cookies = {c["name"] for c in await context.cookies()}
        assert "sysaccess_session" not in cookies
    finally:
        await context.close()
    await vendor_status(stack, request["id"], "Rejected")


async def test_client_request_approved_by_dress_minst(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack, agent=True)
    assert "/agentrequest?id=" in request["confirmUrl"]
    context, page = await open_as(browser, request["confirmUrl"], "DRESS MINST")
    try:
        await expect(page.get_by_role("heading", name="Godkjenn systemtilgang for klienter")).to_be_visible()
        await expect(page.get_by_text("Regnskapsfører lønn")).to_be_visible()
        await page.get_by_role("button", name="Godkjenn").click()
        await page.wait_for_url("**/accessmanagement/ui/loggedout")
    finally:
        await context.close()
    await vendor_status(stack, request["id"], "Accepted", agent=True)


async def test_sprudlende_kanin_sees_no_buttons(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack)
    context, page = await open_as(browser, request["confirmUrl"], "SPRUDLENDE KANIN")
    try:
        await expect(page.get_by_role("heading", name="Godkjenn systemtilgang")).to_be_visible()
        await expect(page.get_by_role("button", name="Godkjenn")).to_have_count(0)
        await expect(page.get_by_role("button", name="Avvis")).to_have_count(0)
        await expect(page.get_by_role("button", name="Ja, send videre")).to_be_visible()
    finally:
        await context.close()


async def test_lunken_plante_lacks_a_right_and_cannot_approve(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack)
    context, page = await open_as(browser, request["confirmUrl"], "LUNKEN PLANTE")
    try:
        await expect(page.get_by_role("button", name="Godkjenn")).to_have_count(0)
        await expect(page.locator("[data-missing]")).to_have_text("Du mangler: Krav og betalinger")
    finally:
        await context.close()


async def test_fremmed_fugl_gets_403(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack)
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    try:
        await page.goto(request["confirmUrl"])
        await sign_in(page, "FREMMED FUGL")
        await page.wait_for_url("**/accessmanagement/ui/systemuser/**")
        await expect(page.get_by_role("heading", name="Ingen tilgang")).to_be_visible()
        response = await page.request.get(
            f"{stack.portal}/accessmanagement/ui/systemuser/request?id={request['id']}"
        )
        assert response.status == 403
    finally:
        await context.close()

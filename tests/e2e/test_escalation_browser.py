"""Escalation end to end: forward, e-mails over SMTP, the overview and inbox, a signed webhook."""

from __future__ import annotations

import asyncio
import json

import pytest
from playwright.async_api import Browser, expect
from standardwebhooks import Webhook, WebhookVerificationError

from shared.webhooks import new_secret
from sysaccess.webhook_receiver import webhook_receiver
from tests.e2e.conftest import Stack, sign_in
from tests.e2e.support import new_request, register_hook_system, wait_for_mails
from tests.e2e.test_approval_browser import RECEIPT, open_as

MANAGERS = {
    "dress.minst@diskret-naer-tiger.example",
    "vennlig.orkan@diskret-naer-tiger.example",
    "lunken.plante@diskret-naer-tiger.example",
}


async def test_forward_notify_and_approve_from_the_overview(stack: Stack, browser: Browser) -> None:
    with webhook_receiver() as receiver:
        system_id, secret = await register_hook_system(stack, receiver.url)
        request = await new_request(
            stack,
            systemId=system_id,
            accessPackages=[{"urn": "urn:altinn:accesspackage:skattnaering"}],
            redirectUrl=RECEIPT,
        )

        context, page = await open_as(browser, request["confirmUrl"], "SPRUDLENDE KANIN")
        try:
            await expect(page.get_by_text("Du mangler nødvendig fullmakt", exact=False)).to_be_visible()
            await page.get_by_role("button", name="Ja, send videre").click()
            await expect(page.get_by_role("heading", name="Forespørselen er videresendt")).to_be_visible()
            await expect(page.get_by_role("button", name="Ja, send videre")).to_have_count(0)
            await page.get_by_role("button", name="Avslutt").click()
            await page.wait_for_url(RECEIPT)
        finally:
            await context.close()

        mails = await wait_for_mails(stack, request["id"], 3)
        assert {str(m["To"]) for m in mails} == MANAGERS
        body = mails[0].get_body(preferencelist=("plain",)).get_content()
        assert "SMARTCLOUD AS" in body
        assert "SPRUDLENDE KANIN" in body
        assert "SmartCloud Hooks" in body
        # Each access manager reads it in their own language (VENNLIG ORKAN nynorsk, LUNKEN PLANTE English).
        subjects = {str(m["To"]): str(m["Subject"]) for m in mails}
        assert subjects["dress.minst@diskret-naer-tiger.example"].startswith(
            "Forespørsel om systemtilgang fra"
        )
        assert subjects["vennlig.orkan@diskret-naer-tiger.example"].startswith(
            "Førespurnad om systemtilgang frå"
        )
        assert subjects["lunken.plante@diskret-naer-tiger.example"].startswith("A system access request from")

        context = await browser.new_context(locale="nb-NO")
        page = await context.new_page()
        try:
            await page.goto(f"{stack.portal}/accessmanagement/ui/systemuser/overview")
            await sign_in(page, "VENNLIG ORKAN")
            await page.wait_for_url("**/systemuser/overview")
            pending = page.locator(f'[data-list="pending"] [data-request="{request["id"]}"]')
            await expect(pending).to_contain_text("Godkjenn egen systemtilgang")
            inbox_entry = page.locator(
                '[data-list="inbox"] li', has=page.locator(f'a[href*="{request["id"]}"]')
            )
            await expect(inbox_entry).to_have_attribute("data-read", "false")
            await pending.get_by_role("link").click()
            await page.get_by_role("button", name="Godkjenn").click()
            await page.wait_for_url("**/systemuser/overview")
            await expect(
                page.locator(f'[data-list="accesses"] [data-access="{request["id"]}"]')
            ).to_be_visible()
            await expect(
                page.locator(f'[data-list="pending"] [data-request="{request["id"]}"]')
            ).to_have_count(0)
            me = await page.request.get(f"{stack.portal}/accessmanagement/api/v1/me")
            assert me.status == 200  # still logged in
        finally:
            await context.close()

        for _ in range(100):
            created = [d for d in receiver.deliveries if request["id"] in d.body.decode()]
            if created:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        created = [d for d in receiver.deliveries if request["id"] in d.body.decode()]
        assert len(created) == 1
        delivery = created[0]
        payload = json.loads(delivery.body)
        assert payload["eventType"] == "SystemAccessCreated"
        assert payload["data"]["requestId"] == request["id"]
        assert delivery.headers["webhook-id"] == payload["deliveryId"]
        # As a vendor verifies it: the stock Standard Webhooks verifier and the secret shown once.
        assert Webhook(secret).verify(delivery.body, delivery.headers) == payload
        with pytest.raises(WebhookVerificationError):
            Webhook(new_secret()).verify(delivery.body, delivery.headers)


async def test_second_forward_says_it_is_already_forwarded(stack: Stack, browser: Browser) -> None:
    request = await new_request(stack)
    for attempt in range(2):
        context, page = await open_as(browser, request["confirmUrl"], "SPRUDLENDE KANIN")
        try:
            if attempt == 0:
                await page.get_by_role("button", name="Ja, send videre").click()
                await expect(page.get_by_text("Forespørselen er videresendt", exact=False)).to_be_visible()
            else:
                await expect(page.get_by_text("allerede videresendt", exact=False)).to_be_visible()
                await expect(page.get_by_role("button", name="Ja, send videre")).to_have_count(0)
        finally:
            await context.close()
    mails = await wait_for_mails(stack, request["id"], 3)
    await asyncio.sleep(1.0)
    assert len(await wait_for_mails(stack, request["id"], 3)) == len(mails) == 3

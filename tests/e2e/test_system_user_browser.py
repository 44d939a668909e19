"""After approval, end to end: the vendor gets a system-user token, the sample resource API ("krav og
betalinger") permits the call, and deleting the access (or removing the client) stops it.

All three services run as processes; the approval and the deletion happen in Chromium.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from playwright.async_api import Browser, Route, expect

from tests.e2e.conftest import Stack, login, sign_in
from tests.e2e.support import new_request, vendor_status
from tests.e2e.test_clients_bff import DELEGATION, FLINK, TRYGG_BAKERI, approved_client_access
from tests.support import krav_og_betalinger

TIGER = "310614289"
SMARTCLOUD = "314000110"
PRESIS_KALKULATOR = "17848310182"
RECEIPT = "https://smartcloud.example/receipt"
UI = "/accessmanagement/ui/systemuser"
KRAV_SCOPE = "skatteetaten:krav"


async def vendor_receipt(route: Route) -> None:
    await route.fulfill(status=200, content_type="text/html", body="<h1>SmartCloud receipt</h1>")


async def ask_token(stack: Stack, org_no: str, external_ref: str) -> httpx.Response:
    """SMARTCLOUD AS exchanges its provider token for the customer's system-user token."""
    details = [
        {
            "type": "urn:altinn:systemuser",
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org_no}"},
            "externalRef": external_ref,
        }
    ]
    async with httpx.AsyncClient(base_url=stack.intake, timeout=30) as client:
        return await client.post(
            "/oauth2/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": stack.tokens.get(SMARTCLOUD, [KRAV_SCOPE]),
                "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "authorization_details": json.dumps(details),
                "audience": krav_og_betalinger.AUDIENCE,
            },
        )


async def until_status(call: object, status: int, timeout: float = 20.0) -> httpx.Response:
    assert callable(call)
    for _ in range(int(timeout / 0.2)):
        response: httpx.Response = await call()
        if response.status_code == status:
            return response
        await asyncio.sleep(0.2)
    raise AssertionError(f"never {status}: {response.status_code} {response.text[:300]}")


@asynccontextmanager
async def resource_api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The sample API, in this process, reaching the intake process over HTTP."""
    async with httpx.AsyncClient(base_url=stack.intake, timeout=30) as intake:
        app = krav_og_betalinger.create_app(
            intake,
            issuer=f"{stack.intake}/oauth2",
            decision_token=lambda: stack.tokens.get(
                krav_og_betalinger.SKATTEETATEN, ["altinn:authorization/authorize"]
            ),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://krav.test") as api:
            yield api


async def read_claims(api: httpx.AsyncClient, token: str, orgno: str) -> httpx.Response:
    return await api.get(
        "/api/v1/krav", params={"orgno": orgno}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_approve_in_the_browser_use_the_token_then_delete_in_the_overview(
    stack: Stack, browser: Browser
) -> None:
    request = await new_request(stack, redirectUrl=RECEIPT)
    ref = request["externalRef"]
    refused = await ask_token(stack, TIGER, ref)
    assert refused.status_code == 400  # not approved yet: no token
    assert refused.json()["error"] == "invalid_altinn_customer_configuration"

    context = await browser.new_context(locale="nb-NO")
    await context.route("https://smartcloud.example/**", vendor_receipt)
    page = await context.new_page()
    try:
        await page.goto(request["confirmUrl"])
        await sign_in(page, "DRESS MINST")
        await page.wait_for_url("**/accessmanagement/ui/systemuser/**")
        await page.get_by_role("button", name="Godkjenn").click()
        await page.wait_for_url(RECEIPT)
        await vendor_status(stack, request["id"], "Accepted")

        issued = await until_status(lambda: ask_token(stack, TIGER, ref), 200)
        token = issued.json()["access_token"]
        async with resource_api(stack) as api:
            permitted = await read_claims(api, token, TIGER)
            assert permitted.status_code == 200, permitted.text
            assert permitted.json()["systemUser"] == request["id"]
            assert permitted.json()["grantedBy"] == "ske-krav-og-betalinger"
            other = await read_claims(api, token, FLINK)
            assert other.status_code == 403
            assert other.json()["code"] == "other_party"

            # DRESS MINST deletes the access from the overview, after its confirmation page.
            await page.goto(f"{stack.portal}{UI}/overview?party={TIGER}")
            await sign_in(page, "DRESS MINST")
            await page.wait_for_url(f"**{UI}/overview?party={TIGER}")
            row = page.locator(f'[data-access="{request["id"]}"]')
            await row.get_by_role("link", name=re.compile("^Slett")).click()
            await expect(page.get_by_role("heading", name="Slette systemtilgangen?")).to_be_visible()
            await page.get_by_role("button", name="Ja, slett").click()
            await page.wait_for_url(f"**/overview?party={TIGER}&deleted={request['id']}")

            gone = await until_status(lambda: ask_token(stack, TIGER, ref), 400)
            assert gone.json()["error"] == "invalid_altinn_customer_configuration"
            assert gone.json()["error_description"].endswith("(MP-303)")
            assert "access_token" not in gone.json()
            after = await read_claims(api, token, TIGER)  # the token from before: denied at once
            assert after.status_code == 403
            assert after.json()["code"] == "deleted"
    finally:
        await context.close()


async def test_client_system_user_permitted_for_an_added_client_then_denied_after_removal(
    stack: Stack,
) -> None:
    access_id = await approved_client_access(stack)
    async with stack.vendor() as vendor:
        found = await vendor.get(f"/authentication/api/v1/systemuser/request/vendor/agent/{access_id}")
    ref = found.json()["externalRef"]
    # As in Altinn, the vendor asks for the facilitator's organisation, not the client's.
    issued = await until_status(lambda: ask_token(stack, FLINK, ref), 200)
    token = issued.json()["access_token"]
    assert (await ask_token(stack, TIGER, ref)).status_code == 400

    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as portal, resource_api(stack) as api:
        csrf = await login(portal, stack.portal, PRESIS_KALKULATOR)
        headers = {"X-CSRF-Token": csrf}
        before = await read_claims(api, token, TIGER)
        assert before.status_code == 403
        assert before.json()["code"] == "not_a_client"

        added = await portal.post(f"{DELEGATION}/{FLINK}/{access_id}/delegation", json=TIGER, headers=headers)
        assert added.status_code == 200, added.text
        permitted = await until_status(lambda: read_claims(api, token, TIGER), 200)
        assert (
            permitted.json()["grantedBy"] == "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"
        )
        never_added = await read_claims(api, token, TRYGG_BAKERI)
        assert never_added.status_code == 403
        assert never_added.json()["code"] == "not_a_client"

        removed = await portal.delete(f"{DELEGATION}/{FLINK}/{access_id}/delegation/{TIGER}", headers=headers)
        assert removed.status_code == 200, removed.text
        denied = await until_status(lambda: read_claims(api, token, TIGER), 403)
        assert denied.json()["code"] == "not_a_client"

"""Every portal page, in each language, passes axe-core in Chromium with no serious or critical violation.

The pages: a request (to decide, and to forward), an agent request, the page after a forward,
the overview, a system access's details, its client page, the delete confirmation, the
logged-out page and the error pages (no access, not found, login failed). The provider's login
form is not ours and is not checked.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from tests.e2e.conftest import Stack, login, sign_in
from tests.e2e.support import new_request

FLINK = "313222225"
TIGER = "310614289"
PRESIS_KALKULATOR = "17848310182"
UI = "/accessmanagement/ui/systemuser"
LANGUAGES = ("nb", "nn", "en")
BLOCKING = {"serious", "critical"}
AXE = Axe()


async def axe_violations(page: Page, name: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now; a screenshot too, when asked for."""
    results = await AXE.run(page)
    shots = os.environ.get("SYSACCESS_SCREENSHOTS")
    if shots:  # the screenshot call creates the folder
        await page.screenshot(path=f"{shots}/{name}.png", full_page=True)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"page": name, "id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations
    ]


async def approved_agent_access(stack: Stack) -> str:
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


async def test_every_page_in_every_language_passes_axe(stack: Stack, browser: Browser) -> None:
    standard = await new_request(stack, partyOrgNo=FLINK)
    agent = await new_request(stack, agent=True, party=FLINK)
    elsewhere = await new_request(stack)  # for DISKRET NÆR TIGER AS: PRESIS KALKULATOR may not see it
    to_forward = await new_request(stack)
    access_id = await approved_agent_access(stack)
    pages = {
        "request": f"{UI}/request?id={standard['id']}",
        "agent-request": f"{UI}/agentrequest?id={agent['id']}",
        "overview": f"{UI}/overview?party={FLINK}",
        "details": f"{UI}/{access_id}?party={FLINK}",
        "clients": f"{UI}/agentdelegation/{access_id}?party={FLINK}&size=1",
        "delete-confirmation": f"{UI}/{access_id}/delete?party={FLINK}",
        "error-no-access": f"{UI}/request?id={elsewhere['id']}",
        "error-not-found": "/accessmanagement/ui/no-such-page",
    }
    found: list[dict[str, Any]] = []
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    try:
        await page.goto(f"{stack.portal}{pages['overview']}")
        await sign_in(page, "PRESIS KALKULATOR")
        await page.wait_for_url("**/systemuser/overview**")
        for lang in LANGUAGES:
            for name, path in pages.items():
                separator = "&" if "?" in path else "?"
                await page.goto(f"{stack.portal}{path}{separator}lang={lang}")
                assert await page.get_attribute("html", "lang") == lang, name
                found += await axe_violations(page, f"{name}-{lang}")
    finally:
        await context.close()

    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    try:
        await page.goto(to_forward["confirmUrl"])
        await sign_in(page, "SPRUDLENDE KANIN")
        await page.wait_for_url("**/systemuser/request**")
        for lang in LANGUAGES:
            await page.goto(f"{to_forward['confirmUrl']}&lang={lang}")
            found += await axe_violations(page, f"request-forward-{lang}")
        await page.get_by_role("button", name="Yes, forward").click()
        await page.get_by_role("heading", name="The request has been forwarded").wait_for()
        found += await axe_violations(page, "forwarded-en")
    finally:
        await context.close()

    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    try:
        for lang in LANGUAGES:
            await page.goto(f"{stack.portal}/accessmanagement/ui/loggedout?lang={lang}")
            found += await axe_violations(page, f"logged-out-{lang}")
            await page.goto(f"{stack.portal}/login/callback?error=access_denied&lang={lang}")
            found += await axe_violations(page, f"error-login-failed-{lang}")
    finally:
        await context.close()

    print("axe violations (all impacts):", json.dumps(found, indent=1) if found else "none")
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert blocking == [], blocking

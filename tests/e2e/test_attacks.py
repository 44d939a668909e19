"""Session, CSRF and redirect attacks against the running portal: every one must be refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.e2e.conftest import Stack, login
from tests.e2e.support import after_logout, new_request, register_hook_system, vendor_status

TIGER = "310614289"
DRESS_MINST = "12887010186"
VENNLIG_ORKAN = "03897610069"
BFF = "/accessmanagement/api/v1/systemuser/request"


async def test_session_and_csrf_attacks_are_all_refused(stack: Stack) -> None:
    request = await new_request(stack)
    approve = f"{BFF}/{TIGER}/{request['id']}/approve"
    accepted = 0
    attempts = 0

    async def attempt(client: httpx.AsyncClient, **kwargs: Any) -> None:
        nonlocal accepted, attempts
        attempts += 1
        response = await client.post(approve, **kwargs)
        accepted += response.status_code == 200

    async with (
        httpx.AsyncClient(base_url=stack.portal) as victim,
        httpx.AsyncClient(base_url=stack.portal) as other,
    ):
        victim_csrf = await login(victim, stack.portal, DRESS_MINST)
        other_csrf = await login(other, stack.portal, VENNLIG_ORKAN)
        old_cookie = victim.cookies["sysaccess_session"]
        await attempt(victim)  # no CSRF token
        await attempt(victim, headers={"X-CSRF-Token": ""})
        await attempt(victim, headers={"X-CSRF-Token": other_csrf})  # a valid token of another session
        await attempt(victim, headers={"X-CSRF-Token": victim_csrf[:-1] + "x"})
        await attempt(victim, headers={"X-CSRF-Token": victim_csrf, "Origin": "https://evil.example"})
        await attempt(victim, headers={"X-CSRF-Token": victim_csrf, "Origin": "null"})
        await attempt(victim, data={"csrf_token": victim_csrf})  # token in a form field the BFF does not read
        logout = await victim.post("/logout", data={"csrf_token": victim_csrf})
        assert logout.status_code == 303
    async with httpx.AsyncClient(base_url=stack.portal, cookies={"sysaccess_session": old_cookie}) as replay:
        await attempt(replay, headers={"X-CSRF-Token": victim_csrf})  # replayed logged-out cookie
    async with httpx.AsyncClient(base_url=stack.portal) as fixation:
        planted = "attacker-chosen-session-id"
        async with httpx.AsyncClient(
            base_url=stack.portal, cookies={"sysaccess_session": planted}
        ) as victim2:
            csrf = await login(victim2, stack.portal, DRESS_MINST)
        fixation.cookies.set("sysaccess_session", planted)
        await attempt(fixation, headers={"X-CSRF-Token": csrf})  # the attacker's planted cookie
    assert attempts == 9
    assert accepted == 0
    await asyncio.sleep(0.5)
    await vendor_status(stack, request["id"], "New")


async def test_redirect_is_checked_again_against_the_current_allow_list(stack: Stack) -> None:
    system_id, _ = await register_hook_system(stack, "http://127.0.0.1:9/unused")
    request = await new_request(
        stack, systemId=system_id, redirectUrl="https://smartcloud.example/receipt?s=1"
    )
    async with stack.vendor() as vendor:
        current = (await vendor.get(f"/authentication/api/v1/systemregister/vendor/{system_id}")).json()
        current["allowedRedirectUrls"] = ["https://smartcloud.example/other"]
        for field in ("isDeleted", "created", "updated", "webhookSecret"):
            current.pop(field, None)
        updated = await vendor.put(f"/authentication/api/v1/systemregister/vendor/{system_id}", json=current)
        assert updated.status_code == 200, updated.text
    await asyncio.sleep(1.5)  # the portal learns of the change from SystemUpdated
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        page = await client.get(f"/accessmanagement/ui/systemuser/request?id={request['id']}")
        form_csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert form_csrf == csrf
        done = await client.post(
            "/accessmanagement/ui/systemuser/request/decide",
            data={"id": request["id"], "decision": "approve", "csrf_token": csrf},
        )
        assert done.status_code == 303
        assert await after_logout(client, done) == "/accessmanagement/ui/loggedout"

"""Helpers for end-to-end tests: create requests as the vendor and wait for the portal to know them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from redis.asyncio import Redis

from tests.e2e.conftest import Stack, agent_body, standard_body

REQUESTS = "/authentication/api/v1/systemuser/request/vendor"


async def wait_known_to_portal(stack: Stack, request_id: str, timeout: float = 20.0) -> None:
    redis = Redis.from_url(stack.endpoints.redis_url, decode_responses=True)
    try:
        for _ in range(int(timeout / 0.1)):
            if await redis.exists(f"approval:request:{request_id}"):
                return
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()
    raise AssertionError(f"approval never saw request {request_id}")


async def new_request(stack: Stack, *, agent: bool = False, **overrides: Any) -> dict[str, Any]:
    ref = f"e2e-{uuid.uuid4().hex[:10]}"
    body = agent_body(ref, **overrides) if agent else standard_body(ref, **overrides)
    async with stack.vendor() as vendor:
        response = await vendor.post(f"{REQUESTS}/agent" if agent else REQUESTS, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    await wait_known_to_portal(stack, created["id"])
    return created


async def vendor_status(stack: Stack, request_id: str, want: str, *, agent: bool = False) -> dict[str, Any]:
    path = f"{REQUESTS}/agent/{request_id}" if agent else f"{REQUESTS}/{request_id}"
    async with stack.vendor() as vendor:
        for _ in range(150):
            body: dict[str, Any] = (await vendor.get(path)).json()
            if body.get("status") == want:
                return body
            await asyncio.sleep(0.1)
    raise AssertionError(f"vendor never read {want} for {request_id}: {body}")


async def register_hook_system(stack: Stack, webhook_url: str) -> tuple[str, str]:
    """A SMARTCLOUD AS system with a webhook; returns (system id, signing secret shown once)."""
    system_id = f"314000110_hooks{uuid.uuid4().hex[:8]}"
    body = {
        "id": system_id,
        "vendor": {"authority": "iso6523-actorid-upis", "ID": "0192:314000110"},
        "name": {"nb": "SmartCloud Hooks", "en": "SmartCloud Hooks"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
        "isVisible": False,
        "allowedRedirectUrls": ["https://smartcloud.example/receipt"],
        "webhookUrl": webhook_url,
    }
    async with stack.vendor() as vendor:
        response = await vendor.post("/authentication/api/v1/systemregister/vendor", json=body)
        assert response.status_code == 201, response.text
        secret: str = response.json()["webhookSecret"]
        again = await vendor.get(f"/authentication/api/v1/systemregister/vendor/{system_id}")
        assert again.json()["webhookSecret"] is None  # shown once
    await asyncio.sleep(1.0)  # the notifier learns the system from the register's event
    return system_id, secret


def mails_about(stack: Stack, request_id: str) -> list[Any]:
    from email import message_from_bytes, policy

    found = []
    for path in stack.mail_dir.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        if body is not None and request_id in body.get_content():
            found.append(message)
    return found


async def wait_for_mails(stack: Stack, request_id: str, count: int, timeout: float = 30.0) -> list[Any]:
    for _ in range(int(timeout / 0.2)):
        found = mails_about(stack, request_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.2)
    return mails_about(stack, request_id)


async def after_logout(client: httpx.AsyncClient, response: httpx.Response) -> str:
    """Follow a decision's logout through the provider and back; where the browser ends up."""
    location = response.headers["location"]
    for _ in range(4):
        if "/endsession" not in location and "/logout/complete" not in location:
            return location
        response = await client.get(location)
        assert response.status_code in (302, 303), response.text[:200]
        location = response.headers["location"]
    raise AssertionError(f"logout did not settle: {location}")

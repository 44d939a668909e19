"""The internal API (portal notifications for the portal) over an in-memory use case."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.notifier.handlers import api, deps
from services.notifier.services.portal_notifications import PortalNotifications
from shared.problems import install_problem_handlers

from .fakes import KARI, OLA, InMemoryPortalNotifications, notification

pytestmark = pytest.mark.unit

TOKEN = "internal-test-token"
MINE = notification(KARI.pid)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    deps.install(app, deps.InternalApi(PortalNotifications(InMemoryPortalNotifications(MINE)), TOKEN))
    app.include_router(api.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://notifier", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as http:
        yield http


@pytest.mark.parametrize("authorization", ["", "Bearer wrong-token"])
async def test_refuses_a_caller_without_the_service_token(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get(f"/internal/v1/inbox/{KARI.pid}", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_lists_a_persons_notifications(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/internal/v1/inbox/{KARI.pid}")
    assert response.status_code == 200
    assert response.json() == {
        "pid": KARI.pid,
        "unread": 1,
        "items": [
            {
                "id": MINE.id,
                "pid": KARI.pid,
                "request_id": MINE.request_id,
                "title": MINE.title,
                "body": MINE.body,
                "link": MINE.link,
                "created": MINE.created,
                "read": False,
            }
        ],
    }


async def test_marks_a_notification_read(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/internal/v1/inbox/{KARI.pid}/{MINE.id}/read")
    assert (response.status_code, response.json()) == (200, {"read": True})


async def test_someone_elses_notification_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/internal/v1/inbox/{OLA.pid}/{MINE.id}/read")
    assert response.status_code == 404

"""The portal's HTTP layer over the in-memory services: refusals, outages, rate limits, logout."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.approval.domain.sessions import Session
from services.approval.handlers.deps import COOKIE_NAME, PortalContext
from services.approval.handlers.web import install_portal
from services.approval.storage.identity import DevelopmentIdentityProvider
from shared.problems import install_problem_handlers
from shared.ratelimit import RateLimit
from tests.unit.approval.conftest import EMPLOYEE, MANAGER, PARTY, InMemoryApproval
from tests.unit.approval.fakes import BrokenDecisions, CountingLimiter, FakeSessions

pytestmark = pytest.mark.unit
BASE = "http://portal.test"
BFF = "/accessmanagement/api/v1/systemuser/request"


class Portal:
    def __init__(self, approval: InMemoryApproval, decisions_per_minute: int = 100) -> None:
        self.approval = approval
        self.sessions = FakeSessions()
        self.limiter = CountingLimiter()
        context = PortalContext(
            portal=approval.portal,
            overview=approval.overview,
            clients=approval.clients,
            sessions=self.sessions,
            directory=approval.directory,
            identity=DevelopmentIdentityProvider(approval.directory, enabled=True),  # type: ignore[arg-type]
            public_base_url=BASE,
            limiter=self.limiter,
            decision_limit=RateLimit("decisions", decisions_per_minute, timedelta(minutes=1)),
            login_limit=RateLimit("logins", 3, timedelta(minutes=1)),
        )
        self.app = FastAPI()
        install_problem_handlers(self.app)
        install_portal(self.app, context)

    async def client(self, pid: str | None) -> tuple[httpx.AsyncClient, Session | None]:
        session = await self.sessions.create(pid) if pid else None
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE)
        if session is not None:
            client.cookies.set(COOKIE_NAME, session.id)
        return client, session


async def test_a_broker_outage_answers_503_with_retry_after_and_a_page_in_the_users_language(
    approval: InMemoryApproval,
) -> None:
    request_id = await approval.arrive()
    approval.portal.decisions = BrokenDecisions()
    portal = Portal(approval)
    client, session = await portal.client(MANAGER)
    assert session is not None
    async with client:
        bff = await client.post(
            f"{BFF}/{PARTY}/{request_id}/approve", headers={"X-CSRF-Token": session.csrf_token}
        )
        page = await client.post(
            "/accessmanagement/ui/systemuser/request/decide?lang=en",
            data={"id": request_id, "decision": "approve", "csrf_token": session.csrf_token},
        )
    assert bff.status_code == 503
    assert bff.headers["content-type"] == "application/problem+json"
    assert bff.headers["retry-after"] == "5"
    assert bff.json()["code"] == "DECISION-NOT-RECORDED"
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "not recorded" in page.text
    assert "Internal Server Error" not in page.text


async def test_decisions_over_the_limit_get_429_with_retry_after(approval: InMemoryApproval) -> None:
    portal = Portal(approval, decisions_per_minute=2)
    client, session = await portal.client(EMPLOYEE)
    assert session is not None
    async with client:
        answers = []
        for _ in range(3):
            request_id = await approval.arrive()
            answers.append(
                await client.post(
                    f"{BFF}/{PARTY}/{request_id}/escalate", headers={"X-CSRF-Token": session.csrf_token}
                )
            )
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "60"
    assert answers[2].headers["content-type"] == "application/problem+json"
    assert len(approval.decisions.sent) == 2


async def test_login_attempts_are_limited_per_address(approval: InMemoryApproval) -> None:
    portal = Portal(approval)
    client, _ = await portal.client(None)
    async with client:
        codes = [
            (await client.post("/login", data={"pid": MANAGER, "csrf_token": "wrong"})).status_code
            for _ in range(4)
        ]
    assert codes == [403, 403, 403, 429]


async def test_logout_is_no_link_another_site_can_use(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    portal = Portal(approval)
    client, session = await portal.client(MANAGER)
    assert session is not None
    async with client:
        link = await client.get(f"{BFF}/{request_id}/logout")
        no_token = await client.post(f"{BFF}/{request_id}/logout")
        assert await portal.sessions.get(session.id) is not None
        proper = await client.post(f"{BFF}/{request_id}/logout", headers={"X-CSRF-Token": session.csrf_token})
    assert link.status_code == 405
    assert no_token.status_code == 403
    assert proper.status_code == 303
    assert await portal.sessions.get(session.id) is None


async def test_refusals_are_problem_json_with_altinn_codes(approval: InMemoryApproval) -> None:
    request_id = await approval.arrive()
    portal = Portal(approval)
    client, session = await portal.client(EMPLOYEE)
    assert session is not None
    async with client:
        refused = await client.post(
            f"{BFF}/{PARTY}/{request_id}/approve", headers={"X-CSRF-Token": session.csrf_token}
        )
        missing = await client.get(f"{BFF}/6c1b2a9e-0000-4000-8000-000000000000")
    assert (refused.status_code, refused.json()["code"]) == (403, "AUTH-00066")
    assert (missing.status_code, missing.json()["code"]) == (404, "AUTH-00010")
    assert approval.decisions.sent == []

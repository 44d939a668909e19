"""The portal's HTTP layer over the in-memory services: refusals, outages, rate limits, logout."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.approval.domain.sessions import Session
from services.approval.handlers.cookies import SignedCookies
from services.approval.handlers.deps import COOKIE_NAME, PortalContext
from services.approval.handlers.web import install_portal
from services.approval.services.login import Login
from shared.problems import install_problem_handlers
from shared.ratelimit import RateLimit
from tests.unit.approval.conftest import EMPLOYEE, MANAGER, PARTY, InMemoryApproval
from tests.unit.approval.fakes import BrokenDecisions, CountingLimiter, FakeIdentityProvider, FakeSessions

pytestmark = pytest.mark.unit
BASE = "http://portal.test"
BFF = "/accessmanagement/api/v1/systemuser/request"


class Portal:
    def __init__(
        self, approval: InMemoryApproval, decisions_per_minute: int = 100, logins_per_minute: int = 100
    ) -> None:
        self.approval = approval
        self.sessions = FakeSessions()
        self.limiter = CountingLimiter()
        self.identity = FakeIdentityProvider()
        context = PortalContext(
            portal=approval.portal,
            overview=approval.overview,
            clients=approval.clients,
            details=approval.details,
            sessions=self.sessions,
            directory=approval.directory,
            login=Login(
                self.identity,
                self.sessions,
                callback_url=f"{BASE}/login/callback",
                post_logout_url=f"{BASE}/logout/complete",
                minimum_acr="idporten-loa-substantial",
            ),
            cookies=SignedCookies("test-cookie-secret", secure=False),
            public_base_url=BASE,
            limiter=self.limiter,
            decision_limit=RateLimit("decisions", decisions_per_minute, timedelta(minutes=1)),
            login_limit=RateLimit("logins", logins_per_minute, timedelta(minutes=1)),
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
    portal = Portal(approval, logins_per_minute=3)
    client, _ = await portal.client(None)
    async with client:
        codes = [(await client.get("/login/callback?code=x&state=y")).status_code for _ in range(4)]
    assert codes == [403, 403, 403, 429]


async def login_through(
    portal: Portal,
    client: httpx.AsyncClient,
    code: str,
    return_url: str = "/accessmanagement/ui/systemuser/overview",
) -> httpx.Response:
    start = await client.get("/login", params={"returnUrl": return_url})
    assert start.status_code == 303
    assert start.headers["location"].startswith(FakeIdentityProvider.AUTHORIZE)
    state = portal.identity.started[-1].state
    return await client.get("/login/callback", params={"code": code, "state": state})


class TestLogin:
    async def test_a_login_creates_a_fresh_session_and_returns_to_the_page(
        self, approval: InMemoryApproval
    ) -> None:
        portal = Portal(approval)
        client, _ = await portal.client(None)
        portal.identity.issue("good", pid=MANAGER)
        async with client:
            client.cookies.set(COOKIE_NAME, "planted", domain="portal.test")
            done = await login_through(portal, client, "good")
            assert done.status_code == 303
            assert done.headers["location"] == "/accessmanagement/ui/systemuser/overview"
            assert client.cookies[COOKIE_NAME] != "planted"
            me = await client.get("/accessmanagement/api/v1/me")
        assert me.json()["pid"] == MANAGER
        assert len(portal.sessions.sessions) == 1

    async def test_the_login_page_itself_stores_nothing(self, approval: InMemoryApproval) -> None:
        portal = Portal(approval)
        client, _ = await portal.client(None)
        async with client:
            await client.get("/login")
        assert portal.sessions.sessions == {}

    @pytest.mark.parametrize(
        ("claims", "why"),
        [
            ({"pid": MANAGER, "acr": "idporten-loa-low"}, "acr too low"),
            ({"pid": MANAGER, "acr": None}, "no acr"),
            ({"pid": None}, "no pid"),
            ({"pid": "not-a-pid"}, "malformed pid"),
            ({"pid": MANAGER, "nonce": "another-login"}, "wrong nonce"),
        ],
    )
    async def test_an_unacceptable_id_token_creates_no_session(
        self, approval: InMemoryApproval, claims: dict[str, str | None], why: str
    ) -> None:
        portal = Portal(approval)
        client, _ = await portal.client(None)
        portal.identity.issue("code", **claims)
        async with client:
            refused = await login_through(portal, client, "code")
        assert refused.status_code == 403, why
        assert "Innloggingen mislyktes" in refused.text
        assert portal.sessions.sessions == {}

    async def test_a_missing_or_replayed_state_creates_no_session(self, approval: InMemoryApproval) -> None:
        portal = Portal(approval)
        client, _ = await portal.client(None)
        portal.identity.issue("first", pid=MANAGER)
        portal.identity.issue("second", pid=MANAGER)
        async with client:
            no_cookie = await client.get("/login/callback", params={"code": "second", "state": "guessed"})
            await client.get("/login")
            wrong_state = await client.get("/login/callback", params={"code": "second", "state": "guessed"})
            done = await login_through(portal, client, "first")
            state = portal.identity.started[-1].state
            replayed = await client.get("/login/callback", params={"code": "second", "state": state})
        assert (no_cookie.status_code, wrong_state.status_code, done.status_code) == (403, 403, 303)
        assert replayed.status_code == 403  # the login cookie was used up by the first callback
        assert len(portal.sessions.sessions) == 1

    async def test_a_code_the_provider_does_not_honour_creates_no_session(
        self, approval: InMemoryApproval
    ) -> None:
        portal = Portal(approval)
        client, _ = await portal.client(None)
        async with client:
            refused = await login_through(portal, client, "never-issued")
        assert refused.status_code == 403
        assert portal.sessions.sessions == {}

    async def test_an_error_from_the_provider_is_a_clear_page(self, approval: InMemoryApproval) -> None:
        portal = Portal(approval)
        client, _ = await portal.client(None)
        async with client:
            await client.get("/login")
            refused = await client.get("/login/callback?error=access_denied&lang=en")
        assert refused.status_code == 403
        assert "Login failed" in refused.text

    async def test_logout_ends_both_sessions_and_continues_only_with_the_state_sent(
        self, approval: InMemoryApproval
    ) -> None:
        portal = Portal(approval)
        client, session = await portal.client(MANAGER)
        assert session is not None
        async with client:
            out = await client.post("/logout", data={"csrf_token": session.csrf_token})
            assert out.headers["location"].startswith(FakeIdentityProvider.END_SESSION)
            state = httpx.URL(out.headers["location"]).params["state"]
            forged = await client.get("/logout/complete", params={"state": "forged"})
            back = await client.get("/logout/complete", params={"state": state})
        assert await portal.sessions.get(session.id) is None
        assert forged.headers["location"] == "/accessmanagement/ui/loggedout"
        assert back.headers["location"] == "/accessmanagement/ui/loggedout"


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

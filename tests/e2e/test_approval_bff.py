"""The BFF's rules over HTTP with real sessions: authorization, CSRF, party checks, concurrency."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sysaccess.portal_login import provider_round_trip
from tests.e2e.conftest import Stack, login
from tests.e2e.support import new_request, vendor_status
from tests.support.kafka import wait_for_records

BFF = "/accessmanagement/api/v1/systemuser"
DRESS_MINST = "12887010186"
LUNKEN_PLANTE = "05816510068"
SPRUDLENDE_KANIN = "21927110056"
FREMMED_FUGL = "24859010020"
PRESIS_KALKULATOR = "17848310182"
TIGER = "310614289"
FLINK = "313222225"


def problem_code(response: httpx.Response) -> str | None:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    code: str | None = response.json().get("code")
    return code


async def test_bff_view_says_who_may_do_what(stack: Stack) -> None:
    request = await new_request(stack)
    for pid, may_approve, may_escalate in (
        (DRESS_MINST, True, False),
        (LUNKEN_PLANTE, False, True),
        (SPRUDLENDE_KANIN, False, True),
    ):
        async with httpx.AsyncClient(base_url=stack.portal) as client:
            await login(client, stack.portal, pid)
            body = (await client.get(f"{BFF}/request/{request['id']}")).json()
            assert body["userMayApprove"] is may_approve, pid
            assert body["userMayEscalateButNotApprove"] is may_escalate, pid
            assert body["vendor"]["name"] == "SMARTCLOUD AS"
    async with httpx.AsyncClient(base_url=stack.portal) as stranger:
        await login(stranger, stack.portal, FREMMED_FUGL)
        response = await stranger.get(f"{BFF}/request/{request['id']}")
        assert response.status_code == 403
        assert problem_code(response) == "AUTH-00066"


async def test_lunken_plante_cannot_approve_through_the_bff(stack: Stack) -> None:
    request = await new_request(stack)
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        csrf = await login(client, stack.portal, LUNKEN_PLANTE)
        response = await client.post(
            f"{BFF}/request/{TIGER}/{request['id']}/approve", headers={"X-CSRF-Token": csrf}
        )
    assert response.status_code == 403
    assert problem_code(response) == "AUTH-00066"
    await vendor_status(stack, request["id"], "New")


async def test_crafted_party_id_cannot_decide_another_partys_request(stack: Stack) -> None:
    flink_request = await new_request(stack, partyOrgNo=FLINK)
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        as_tiger = await client.post(
            f"{BFF}/request/{TIGER}/{flink_request['id']}/approve", headers={"X-CSRF-Token": csrf}
        )
        assert as_tiger.status_code == 404
        as_flink = await client.post(
            f"{BFF}/request/{FLINK}/{flink_request['id']}/approve", headers={"X-CSRF-Token": csrf}
        )
        assert as_flink.status_code == 403
    await vendor_status(stack, flink_request["id"], "New")


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "forged"}], ids=["missing", "wrong"])
async def test_csrf_token_is_required(stack: Stack, headers: dict[str, str]) -> None:
    request = await new_request(stack)
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        await login(client, stack.portal, DRESS_MINST)
        response = await client.post(f"{BFF}/request/{TIGER}/{request['id']}/approve", headers=headers)
        assert response.status_code == 403
        form = await client.post(
            "/accessmanagement/ui/systemuser/request/decide",
            data={
                "id": request["id"],
                "decision": "approve",
                **({"csrf_token": "forged"} if headers else {}),
            },
        )
        assert form.status_code == 403
    await asyncio.sleep(1.0)
    await vendor_status(stack, request["id"], "New")


async def test_cross_site_origin_is_refused(stack: Stack) -> None:
    request = await new_request(stack)
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        response = await client.post(
            f"{BFF}/request/{TIGER}/{request['id']}/approve",
            headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
        )
    assert response.status_code == 403
    await vendor_status(stack, request["id"], "New")


async def test_a_login_page_creates_no_session_and_a_planted_cookie_never_becomes_one(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        start = await client.get("/login")
        assert start.status_code == 303
        assert "sysaccess_session" not in client.cookies
        assert "sysaccess_login" in client.cookies  # the login's state lives in a signed cookie
        client.cookies.set("sysaccess_session", "planted-by-an-attacker", domain="127.0.0.1", path="/")
        await login(client, stack.portal, DRESS_MINST)
        assert client.cookies["sysaccess_session"] != "planted-by-an-attacker"
    async with httpx.AsyncClient(
        base_url=stack.portal, cookies={"sysaccess_session": "planted-by-an-attacker"}
    ) as attacker:
        assert (await attacker.get("/accessmanagement/api/v1/me")).status_code == 401
    assert "frame-ancestors 'none'" in start.headers["content-security-policy"]


async def test_login_return_url_must_be_a_portal_path(stack: Stack) -> None:
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        async with httpx.AsyncClient(base_url=stack.portal) as client:
            callback = await provider_round_trip(client, DRESS_MINST, evil)
            done = await client.get(callback)
            assert done.status_code == 303
            assert done.headers["location"].startswith("/accessmanagement/"), evil


async def test_ten_concurrent_approvals_yield_one_outcome(stack: Stack) -> None:
    request = await new_request(stack)
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        responses = await asyncio.gather(
            *(
                client.post(f"{BFF}/request/{TIGER}/{request['id']}/approve", headers={"X-CSRF-Token": csrf})
                for _ in range(10)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 9, [r.text for r in responses]
    assert {problem_code(r) for r in responses if r.status_code == 400} == {"AUTH-00013"}
    created = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.access-created.v1",
        lambda r: r["value"]["requestId"] == request["id"],
        settle=1.5,
    )
    assert len(created) == 1
    assert created[0]["value"]["approvedBy"] == DRESS_MINST


async def test_two_approvers_at_once_yield_one_outcome(stack: Stack) -> None:
    request = await new_request(stack)
    async with (
        httpx.AsyncClient(base_url=stack.portal, timeout=30) as dress,
        httpx.AsyncClient(base_url=stack.portal, timeout=30) as orkan,
    ):
        dress_csrf = await login(dress, stack.portal, DRESS_MINST)
        orkan_csrf = await login(orkan, stack.portal, "03897610069")
        first, second = await asyncio.gather(
            dress.post(
                f"{BFF}/request/{TIGER}/{request['id']}/approve", headers={"X-CSRF-Token": dress_csrf}
            ),
            orkan.post(f"{BFF}/request/{TIGER}/{request['id']}/reject", headers={"X-CSRF-Token": orkan_csrf}),
        )
    assert sorted([first.status_code, second.status_code]) == [200, 400]
    created = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.access-created.v1",
        lambda r: r["value"]["requestId"] == request["id"],
        count=0,
        timeout=1,
        settle=1.0,
    )
    rejected = await wait_for_records(
        stack.endpoints.kafka_bootstrap,
        "sysaccess.request-rejected.v1",
        lambda r: r["value"]["requestId"] == request["id"],
        count=0,
        timeout=1,
        settle=0.0,
    )
    assert len(created) + len(rejected) == 1


async def test_decided_request_shows_its_state_and_refuses_more(stack: Stack) -> None:
    request = await new_request(stack)
    async with httpx.AsyncClient(base_url=stack.portal) as client:
        csrf = await login(client, stack.portal, DRESS_MINST)
        ok = await client.post(
            f"{BFF}/request/{TIGER}/{request['id']}/reject", headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 200
        assert ok.json()["outcome"] == "Rejected"
        again = await client.post(
            f"{BFF}/request/{TIGER}/{request['id']}/approve", headers={"X-CSRF-Token": csrf}
        )
        assert again.status_code == 400
        assert problem_code(again) == "AUTH-00013"
        view = await client.get(f"{BFF}/request/{request['id']}")
        assert view.json()["status"] == "Rejected"
        assert view.json()["userMayApprove"] is False
        page = await client.get(f"/accessmanagement/ui/systemuser/request?id={request['id']}")
        assert "allerede avvist" in page.text
        logout = await client.post(f"{BFF}/request/{request['id']}/logout", headers={"X-CSRF-Token": csrf})
        assert logout.status_code == 303
        assert (await client.get("/accessmanagement/api/v1/me")).status_code == 401

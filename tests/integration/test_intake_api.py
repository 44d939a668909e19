"""The vendor API against a real Redis and Kafka (request_intake in-process, ASGI client)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import SMARTCLOUD, SMARTCLOUD_SYSTEM, TIGER, RunningIntake, TokenFactory
from tests.support.kafka import wait_for_records

BASE = "/authentication/api/v1"
RIGHT = {"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}
PACKAGE = {"urn": "urn:altinn:accesspackage:skattnaering"}
CLIENT_PACKAGE = {"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}
OTHER_VENDOR = "313222225"


def standard_request(**overrides: Any) -> dict[str, Any]:
    body = {
        "systemId": SMARTCLOUD_SYSTEM,
        "partyOrgNo": TIGER,
        "externalRef": f"ref-{uuid.uuid4().hex[:10]}",
        "rights": [RIGHT],
        "accessPackages": [PACKAGE],
        "redirectUrl": "https://smartcloud.example/receipt?state=abc",
    }
    body.update(overrides)
    return body


def system_body(system_id: str, vendor: str = SMARTCLOUD, **overrides: Any) -> dict[str, Any]:
    body = {
        "id": system_id,
        "vendor": {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor}"},
        "name": {"nb": "Testsystem", "en": "Test system", "nn": "Testsystem"},
        "description": {"nb": "Et system", "en": "A system"},
        "rights": [RIGHT],
        "accessPackages": [PACKAGE],
        "clientId": [],
        "isVisible": True,
        "allowedRedirectUrls": ["https://vendor.example/done"],
    }
    body.update(overrides)
    return body


def assert_problem(response: Any, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if code is not None:
        assert response.json()["code"] == code


async def test_create_read_and_repost(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    body = standard_request()
    created = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["status"] == "New"
    assert request["confirmUrl"].endswith(
        f"/accessmanagement/ui/systemuser/request?id={request['id']}&DONTCHOOSEREPORTEE=true"
    )
    assert created.headers["location"].endswith(request["id"])
    again = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)
    assert again.status_code == 200
    assert again.json()["id"] == request["id"]
    by_id = await intake.client.get(f"{BASE}/systemuser/request/vendor/{request['id']}", headers=auth)
    assert by_id.json()["externalRef"] == body["externalRef"]
    by_ref = await intake.client.get(
        f"{BASE}/systemuser/request/vendor/byexternalref/{SMARTCLOUD_SYSTEM}/{TIGER}/{body['externalRef']}",
        headers=auth,
    )
    assert by_ref.json()["id"] == request["id"]
    events = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.access-requested.v1",
        lambda r: r["value"]["requestId"] == request["id"],
        settle=0.5,
    )
    assert len(events) == 1
    assert events[0]["value"]["redirectUrl"] == body["redirectUrl"]
    assert events[0]["headers"]["event-type"] == "SystemAccessRequested"


async def test_agent_request_and_type_separation(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    body = standard_request(rights=None, accessPackages=[CLIENT_PACKAGE], partyOrgNo="313222225")
    body.pop("rights")
    created = await intake.client.post(f"{BASE}/systemuser/request/vendor/agent", json=body, headers=auth)
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert "/agentrequest?id=" in created.json()["confirmUrl"]
    agent = await intake.client.get(f"{BASE}/systemuser/request/vendor/agent/{request_id}", headers=auth)
    assert agent.status_code == 200
    standard = await intake.client.get(f"{BASE}/systemuser/request/vendor/{request_id}", headers=auth)
    assert_problem(standard, 404)
    with_rights = await intake.client.post(
        f"{BASE}/systemuser/request/vendor/agent", json={**body, "rights": [RIGHT]}, headers=auth
    )
    assert_problem(with_rights, 400)


async def test_a_pending_standard_request_is_not_the_agent_answer(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    """Issue 13: an agent POST with the (system, party, externalRef) of a pending standard request
    answered 200 with the standard request. Pending requests are keyed by type, as in Altinn."""
    auth = intake.auth(token_for())
    standard_body = standard_request()
    standard = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=standard_body, headers=auth)
    assert standard.status_code == 201, standard.text
    agent_body = {k: v for k, v in standard_body.items() if k != "rights"} | {
        "accessPackages": [CLIENT_PACKAGE]
    }
    agent = await intake.client.post(f"{BASE}/systemuser/request/vendor/agent", json=agent_body, headers=auth)
    assert agent.status_code == 201, agent.text
    assert agent.json()["id"] != standard.json()["id"]
    assert "/agentrequest?id=" in agent.json()["confirmUrl"]
    # Each type's re-POST and natural-key lookup finds its own request.
    for path, body, expected in (
        ("", standard_body, standard.json()["id"]),
        ("/agent", agent_body, agent.json()["id"]),
    ):
        again = await intake.client.post(f"{BASE}/systemuser/request/vendor{path}", json=body, headers=auth)
        assert (again.status_code, again.json()["id"]) == (200, expected)
        by_ref = await intake.client.get(
            f"{BASE}/systemuser/request/vendor{path}/byexternalref/"
            f"{SMARTCLOUD_SYSTEM}/{TIGER}/{body['externalRef']}",
            headers=auth,
        )
        assert by_ref.json()["id"] == expected


async def test_an_agent_request_stored_before_typed_keys_is_still_pending(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    """Agent requests stored before the keys were typed sit under the untyped key; a re-POST
    still gets them back and a withdrawal still frees the key (no migration needed)."""
    from redis.asyncio import Redis

    from services.request_intake.domain.requests import NaturalKey
    from services.request_intake.storage.keys import IntakeKeys
    from shared.events import RequestType

    auth = intake.auth(token_for())
    body = standard_request(accessPackages=[CLIENT_PACKAGE])
    body.pop("rights")
    created = await intake.client.post(f"{BASE}/systemuser/request/vendor/agent", json=body, headers=auth)
    assert created.status_code == 201, created.text
    keys = IntakeKeys(intake.settings.redis_prefix)
    key = NaturalKey(SMARTCLOUD_SYSTEM, TIGER, body["externalRef"])
    username, password = intake.settings.redis_login()
    redis = Redis.from_url(str(intake.settings.redis_url), username=username, password=password)
    try:
        await redis.rename(keys.latest_request(key, RequestType.AGENT), keys.untyped_latest_request(key))
        again = await intake.client.post(f"{BASE}/systemuser/request/vendor/agent", json=body, headers=auth)
        assert (again.status_code, again.json()["id"]) == (200, created.json()["id"])
        withdrawn = await intake.client.delete(
            f"{BASE}/systemuser/request/vendor/{created.json()['id']}", headers=auth
        )
        assert withdrawn.status_code == 202
        assert await redis.exists(keys.untyped_latest_request(key)) == 0
    finally:
        await redis.aclose()


async def test_every_broken_rule_is_reported_at_once(intake: RunningIntake, token_for: TokenFactory) -> None:
    """Altinn's validation problem shape: code, and errors with code and JSON paths each."""
    auth = intake.auth(token_for())
    body = standard_request(
        partyOrgNo="310614288",
        redirectUrl="https://evil.example/",
        rights=[RIGHT, {"resource": [{"id": "urn:altinn:resource", "value": "unknown"}]}],
    )
    refused = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)
    assert_problem(refused, 400, "AUTH-00000")
    assert [(e["code"], e["paths"]) for e in refused.json()["errors"]] == [
        ("AUTH-00000", ["/partyOrgNo"]),
        ("AUTH-00021", ["/redirectUrl"]),
        ("AUTH-00001", ["/rights/1/resource"]),
    ]
    shapeless = await intake.client.post(
        f"{BASE}/systemuser/request/vendor",
        json={"partyOrgNo": TIGER, "rights": [{"resource": []}], "accessPackages": [{"urn": ""}]},
        headers=auth,
    )
    assert_problem(shapeless, 400, "AUTH.VLD-BODY")
    assert sorted(path for e in shapeless.json()["errors"] for path in e["paths"]) == [
        "/accessPackages/0/urn",
        "/rights/0/resource",
        "/systemId",
    ]
    wrong_method = await intake.client.put(f"{BASE}/systemuser/request/vendor/{uuid.uuid4()}", headers=auth)
    assert_problem(wrong_method, 405)
    assert wrong_method.headers["allow"] == "DELETE, GET"


async def test_an_empty_redirect_url_is_no_redirect(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    created = await intake.client.post(
        f"{BASE}/systemuser/request/vendor", json=standard_request(redirectUrl=""), headers=auth
    )
    assert created.status_code == 201, created.text
    assert created.json()["redirectUrl"] is None
    agent_body = standard_request(redirectUrl="", accessPackages=[CLIENT_PACKAGE])
    agent_body.pop("rights")
    agent = await intake.client.post(f"{BASE}/systemuser/request/vendor/agent", json=agent_body, headers=auth)
    assert agent.status_code == 201, agent.text
    assert agent.json()["redirectUrl"] is None
    assert agent.json()["confirmUrl"].endswith("&DONTCHOOSEREPORTEE=true")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"systemId": "314000110_nope"}, "AUTH-00011"),
        ({"partyOrgNo": "310614288"}, "AUTH-00000"),
        ({"redirectUrl": "https://evil.example/receipt"}, "AUTH-00021"),
        ({"redirectUrl": "https://smartcloud.example/receipt#x"}, "AUTH-00021"),
        ({"rights": [], "accessPackages": []}, "AUTH-00059"),
        (
            {"rights": [{"resource": [{"id": "urn:altinn:resource", "value": "unknown"}]}]},
            "AUTH-00001",
        ),
        ({"accessPackages": [{"urn": "urn:altinn:accesspackage:ansvarlig-revisor"}]}, "AUTH-00063"),
        ({"accessPackages": [CLIENT_PACKAGE]}, "AUTH-00064"),
    ],
    ids=["system", "orgno", "redirect", "fragment", "empty", "right", "package", "assignable"],
)
async def test_invalid_requests_change_nothing(
    intake: RunningIntake, token_for: TokenFactory, overrides: dict[str, Any], code: str
) -> None:
    auth = intake.auth(token_for())
    body = standard_request(**overrides)
    response = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)
    assert_problem(response, 404 if code == "AUTH-00011" else 400, code)
    lookup = await intake.client.get(
        f"{BASE}/systemuser/request/vendor/byexternalref/{SMARTCLOUD_SYSTEM}/{body['partyOrgNo']}/{body['externalRef']}",
        headers=auth,
    )
    assert lookup.status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-token"}, 401),
        ({"Authorization": "Basic abc"}, 401),
    ],
)
async def test_authentication_required(intake: RunningIntake, headers: dict[str, str], status: int) -> None:
    response = await intake.client.post(
        f"{BASE}/systemuser/request/vendor", json=standard_request(), headers=headers
    )
    assert_problem(response, status)


async def test_scope_is_enforced(intake: RunningIntake, token_for: TokenFactory) -> None:
    read_only = intake.auth(token_for(scopes=["altinn:authentication/systemuser.request.read"]))
    response = await intake.client.post(
        f"{BASE}/systemuser/request/vendor", json=standard_request(), headers=read_only
    )
    assert_problem(response, 403)


async def test_malformed_bodies_are_problems(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = {**intake.auth(token_for()), "content-type": "application/json"}
    for raw in (b"{", b"[]", b'{"systemId": 5}', b'{"systemId":"x","partyOrgNo":"1","unknown":1}'):
        response = await intake.client.post(f"{BASE}/systemuser/request/vendor", content=raw, headers=auth)
        assert_problem(response, 400)


async def test_other_vendor_sees_nothing(intake: RunningIntake, token_for: TokenFactory) -> None:
    created = await intake.client.post(
        f"{BASE}/systemuser/request/vendor",
        json=standard_request(),
        headers=intake.auth(token_for()),
    )
    request_id = created.json()["id"]
    other = intake.auth(token_for(OTHER_VENDOR))
    assert_problem(
        await intake.client.get(f"{BASE}/systemuser/request/vendor/{request_id}", headers=other),
        404,
    )
    assert_problem(
        await intake.client.delete(f"{BASE}/systemuser/request/vendor/{request_id}", headers=other),
        404,
    )
    foreign_system = await intake.client.post(
        f"{BASE}/systemuser/request/vendor", json=standard_request(), headers=other
    )
    assert_problem(foreign_system, 404, "AUTH-00011")
    still = await intake.client.get(
        f"{BASE}/systemuser/request/vendor/{request_id}", headers=intake.auth(token_for())
    )
    assert still.status_code == 200


async def test_withdraw_then_fresh_request(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    body = standard_request()
    first = (await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)).json()
    withdrawn = await intake.client.delete(f"{BASE}/systemuser/request/vendor/{first['id']}", headers=auth)
    assert withdrawn.status_code == 202
    gone = await intake.client.get(f"{BASE}/systemuser/request/vendor/{first['id']}", headers=auth)
    assert_problem(gone, 404)
    second = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    events = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.request-withdrawn.v1",
        lambda r: r["value"]["requestId"] == first["id"],
        settle=0.3,
    )
    assert len(events) == 1


async def test_paging_by_system(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    system_id = f"{SMARTCLOUD}_paging{uuid.uuid4().hex[:6]}"
    registered = await intake.client.post(
        f"{BASE}/systemregister/vendor", json=system_body(system_id), headers=auth
    )
    assert registered.status_code == 201, registered.text
    ids = set()
    for _ in range(7):
        body = standard_request(systemId=system_id, accessPackages=[], redirectUrl=None)
        ids.add(
            (await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)).json()[
                "id"
            ]
        )
    seen: list[str] = []
    url: str | None = f"{BASE}/systemuser/request/vendor/bysystem/{system_id}"
    pages = 0
    while url:
        page = (await intake.client.get(url, headers=auth)).json()
        seen += [r["id"] for r in page["data"]]
        url = page["links"]["next"]
        pages += 1
        assert pages < 10
    assert pages == 3  # page size 3 in this fixture
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == ids
    bad = await intake.client.get(
        f"{BASE}/systemuser/request/vendor/bysystem/{system_id}?token=%%%", headers=auth
    )
    assert_problem(bad, 400)


async def test_system_register_lifecycle(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    system_id = f"{SMARTCLOUD}_life{uuid.uuid4().hex[:6]}"
    body = system_body(system_id)
    assert (
        await intake.client.post(f"{BASE}/systemregister/vendor", json=body, headers=auth)
    ).status_code == 201
    duplicate = await intake.client.post(f"{BASE}/systemregister/vendor", json=body, headers=auth)
    assert_problem(duplicate, 400, "AUTH.VLD-00002")
    listed = (await intake.client.get(f"{BASE}/systemregister/vendor", headers=auth)).json()
    assert system_id in {s["id"] for s in listed}
    replaced = await intake.client.put(
        f"{BASE}/systemregister/vendor/{system_id}",
        json={**body, "allowedRedirectUrls": ["http://insecure.example/"]},
        headers=auth,
    )
    assert_problem(replaced, 400, "AUTH.VLD-00005")
    renamed = await intake.client.put(
        f"{BASE}/systemregister/vendor/{system_id}",
        json={**body, "name": {"nb": "Nytt navn"}},
        headers=auth,
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == {"nb": "Nytt navn"}
    other = intake.auth(token_for(OTHER_VENDOR))
    assert_problem(await intake.client.get(f"{BASE}/systemregister/vendor/{system_id}", headers=other), 404)
    assert (
        await intake.client.delete(f"{BASE}/systemregister/vendor/{system_id}", headers=auth)
    ).status_code == 200
    assert_problem(await intake.client.get(f"{BASE}/systemregister/vendor/{system_id}", headers=auth), 404)
    events = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.system-deleted.v1",
        lambda r: r["value"]["systemId"] == system_id,
    )
    assert len(events) == 1
    updates = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.system-updated.v1",
        lambda r: r["value"]["system"]["systemId"] == system_id,
    )
    assert len(updates) == 1

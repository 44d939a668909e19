"""The system register's partial changes, change log and client ids, and the system users of a
system, over HTTP against a real Redis and Kafka (request_intake in-process): accesses arrive as
the approval service's events, the register's changes leave as its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from shared import events as ev
from tests.conftest import SMARTCLOUD, TIGER, RunningIntake, TokenFactory, _running_intake, intake_settings
from tests.integration.test_intake_api import BASE, OTHER_VENDOR, assert_problem, system_body
from tests.integration.test_system_user_api import until
from tests.support.infra import Endpoints
from tests.support.kafka import publish, wait_for_records

PUBLIC = "http://intake.test"
PKG = "urn:altinn:accesspackage:"
REGISTER = f"{BASE}/systemregister/vendor"
READ_ONLY = [
    "altinn:authentication/systemuser.request.read",
    "altinn:authentication/systemuser.request.write",
]


def resource(value: str) -> dict[str, Any]:
    return {"resource": [{"id": "urn:altinn:resource", "value": value}]}


def resources(rights: list[dict[str, Any]]) -> list[Any]:
    """The resources the rights name (the system view also shows each right's ``action``)."""
    return [r["resource"] for r in rights]


@pytest.fixture(scope="module")
async def intake(endpoints: Endpoints) -> AsyncIterator[RunningIntake]:
    settings = intake_settings(endpoints, public_base_url=PUBLIC, page_size=2)
    async for running in _running_intake(settings):
        # Every consumer has its partitions: the access events these tests publish are consumed.
        await until(partial(running.client.get, "/readyz"), 200, tries=600)
        yield running


async def register(intake: RunningIntake, auth: dict[str, str], **overrides: Any) -> str:
    """A fresh SMARTCLOUD AS system with a client id of its own (the seeded one holds 314000110)."""
    system_id = f"{SMARTCLOUD}_reg{uuid.uuid4().hex[:10]}"
    body = system_body(
        system_id,
        clientId=[f"client-{uuid.uuid4()}"],
        allowedRedirectUrls=["https://smartcloud.example/receipt"],
        **overrides,
    )
    created = await intake.client.post(REGISTER, json=body, headers=auth)
    assert created.status_code == 201, created.text
    return system_id


async def granted(intake: RunningIntake, auth: dict[str, str], system_id: str) -> dict[str, Any]:
    """A request for ``system_id`` through the vendor API, then approval's SystemAccessCreated."""
    body = {
        "systemId": system_id,
        "partyOrgNo": TIGER,
        "externalRef": f"ref-{uuid.uuid4().hex[:10]}",
        "rights": [resource("ske-krav-og-betalinger")],
    }
    created = await intake.client.post(f"{BASE}/systemuser/request/vendor", json=body, headers=auth)
    assert created.status_code == 201, created.text
    request = created.json()
    await publish(
        intake.settings.kafka_bootstrap,
        ev.SystemAccessCreated(
            system_access_id=uuid.UUID(request["id"]),
            request_id=uuid.UUID(request["id"]),
            request_type=ev.RequestType.STANDARD,
            system_id=system_id,
            vendor_org_no=SMARTCLOUD,
            party_org_no=TIGER,
            external_ref=request["externalRef"],
            integration_title="Testsystem",
            rights=("ske-krav-og-betalinger",),
            access_packages=(),
            approved_by="12887010186",
            approved_at=datetime.now(UTC),
        ),
    )
    lookup = f"{BASE}/systemuser/vendor/byquery?system-id={system_id}&orgno={TIGER}"
    lookup += f"&external-ref={request['externalRef']}"
    await until(lambda: intake.client.get(lookup, headers=auth), 200)
    return dict(request)


async def all_pages(intake: RunningIntake, auth: dict[str, str], system_id: str) -> list[list[str]]:
    pages: list[list[str]] = []
    url: str | None = f"{BASE}/systemuser/vendor/bysystem/{system_id}"
    while url is not None:
        response = await intake.client.get(url.removeprefix(PUBLIC), headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([u["id"] for u in body["data"]])
        url = body["links"]["next"]
    return pages


# --- system users of a system -----------------------------------------------------------------


async def test_system_users_by_system_are_paged_and_drop_deleted_ones(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    system_id = await register(intake, auth)
    assert await all_pages(intake, auth, system_id) == [[]]
    requests = [await granted(intake, auth, system_id) for _ in range(3)]
    ids = [r["id"] for r in requests]
    assert await all_pages(intake, auth, system_id) == [ids[:2], ids[2:]]

    first = (await intake.client.get(f"{BASE}/systemuser/vendor/bysystem/{system_id}", headers=auth)).json()
    assert first["links"]["next"].startswith(f"{PUBLIC}{BASE}/systemuser/vendor/bysystem/{system_id}?token=")
    user = first["data"][0]
    assert (user["systemId"], user["reporteeOrgNo"], user["externalRef"]) == (
        system_id,
        TIGER,
        requests[0]["externalRef"],
    )
    assert (user["supplierOrgno"], user["supplierName"], user["userType"], user["isDeleted"]) == (
        SMARTCLOUD,
        "SMARTCLOUD AS",
        "standard",
        False,
    )
    assert user["rights"] == ["ske-krav-og-betalinger"]

    await publish(
        intake.settings.kafka_bootstrap,
        ev.SystemAccessDeleted(
            system_access_id=uuid.UUID(ids[1]),
            system_id=system_id,
            vendor_org_no=SMARTCLOUD,
            party_org_no=TIGER,
            external_ref=requests[1]["externalRef"],
            deleted_by="12887010186",
        ),
    )
    for _ in range(150):
        if await all_pages(intake, auth, system_id) == [[ids[0], ids[2]]]:
            break
        await asyncio.sleep(0.1)
    assert await all_pages(intake, auth, system_id) == [[ids[0], ids[2]]]


async def test_only_the_owning_vendor_with_the_register_scope_lists_system_users(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    system_id = await register(intake, auth)
    path = f"{BASE}/systemuser/vendor/bysystem/{system_id}"
    assert_problem(await intake.client.get(path), 401)
    assert_problem(await intake.client.get(path, headers=intake.auth(token_for(SMARTCLOUD, READ_ONLY))), 403)
    other = intake.auth(token_for(OTHER_VENDOR))
    assert_problem(await intake.client.get(path, headers=other), 404, "AUTH-00011")
    assert_problem(await intake.client.get(f"{path}?token=not-a-token", headers=auth), 400, "AUTH.VLD-TOKEN")


# --- rights, packages, change log -------------------------------------------------------------


async def test_rights_and_packages_are_replaced_logged_and_announced(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    system_id = await register(intake, auth, isVisible=False)
    rights = [resource("nav-sykmelding"), resource("app_skd_mva-melding")]
    changed = await intake.client.put(f"{REGISTER}/{system_id}/rights", json=rights, headers=auth)
    assert changed.status_code == 200, changed.text
    assert resources(changed.json()["rights"]) == resources(rights)
    packages = [{"urn": PKG + "regnskapsforer-lonn"}]
    changed = await intake.client.put(f"{REGISTER}/{system_id}/accesspackages", json=packages, headers=auth)
    assert changed.status_code == 200, changed.text

    system = (await intake.client.get(f"{REGISTER}/{system_id}", headers=auth)).json()
    assert (resources(system["rights"]), system["accessPackages"]) == (resources(rights), packages)
    assert system["name"]["nb"] == "Testsystem"  # the rest stays

    log = (await intake.client.get(f"{REGISTER}/{system_id}/changelog", headers=auth)).json()
    assert [e["changeType"] for e in log] == ["create", "rightsupdate", "accesspackageupdate"]
    assert {e["changedByOrgNumber"] for e in log} == {SMARTCLOUD}
    assert {e["systemId"] for e in log} == {system_id}
    assert {e["clientId"] for e in log} == {SMARTCLOUD}  # the provider's client id of SMARTCLOUD AS
    assert log[0]["changedData"]["id"] == system_id
    assert (log[1]["changedData"], log[2]["changedData"]) == (rights, packages)
    assert log[0]["created"] <= log[1]["created"] <= log[2]["created"]

    updates = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.system-updated.v1",
        lambda r: r["value"]["system"]["systemId"] == system_id,
        count=2,
        settle=0.5,
    )
    assert [u["value"]["system"]["rights"] for u in updates] == [
        ["nav-sykmelding", "app_skd_mva-melding"],
        ["nav-sykmelding", "app_skd_mva-melding"],
    ]
    assert [u["value"]["system"]["accessPackages"] for u in updates] == [
        [PKG + "skattnaering"],
        [PKG + "regnskapsforer-lonn"],
    ]


async def test_a_full_replace_is_logged_as_an_update(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    system_id = await register(intake, auth)
    current = (await intake.client.get(f"{REGISTER}/{system_id}", headers=auth)).json()
    body = {k: current[k] for k in system_body(system_id)} | {"name": {"nb": "Nytt navn"}}
    replaced = await intake.client.put(f"{REGISTER}/{system_id}", json=body, headers=auth)
    assert replaced.status_code == 200, replaced.text
    log = (await intake.client.get(f"{REGISTER}/{system_id}/changelog", headers=auth)).json()
    assert [e["changeType"] for e in log] == ["create", "update"]
    assert log[1]["changedData"]["name"] == {"nb": "Nytt navn"}


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        pytest.param("rights", [resource("no-such-resource")], 400, "AUTH.VLD-00003", id="unknown-right"),
        pytest.param("rights", [resource("nav-sykmelding")] * 2, 400, "AUTH.VLD-00006", id="duplicate-right"),
        pytest.param("rights", {"resource": []}, 400, None, id="rights-not-a-list"),
        pytest.param("rights", [{"resource": [{"id": "", "value": "x"}]}], 400, None, id="empty-attribute"),
        pytest.param(
            "accesspackages", [{"urn": PKG + "eksplisitt"}], 400, "AUTH.VLD-00008", id="neither-flag"
        ),
        pytest.param("accesspackages", [{"urn": PKG + "nope"}], 400, "AUTH.VLD-00008", id="unknown-package"),
        pytest.param(
            "accesspackages",
            [{"urn": PKG + "regnskapsforer-lonn"}],
            400,
            "AUTH.VLD-00018",
            id="client-on-visible",
        ),
        pytest.param(
            "accesspackages", [{"urn": PKG + "skattnaering"}] * 2, 400, "AUTH.VLD-00007", id="duplicate"
        ),
        pytest.param("accesspackages", [{"name": "x"}], 400, None, id="package-shape"),
    ],
)
async def test_a_refused_change_changes_nothing(
    intake: RunningIntake, token_for: TokenFactory, path: str, body: Any, status: int, code: str | None
) -> None:
    auth = intake.auth(token_for())
    system_id = await register(intake, auth)  # visible (the body says so)
    before = (await intake.client.get(f"{REGISTER}/{system_id}", headers=auth)).json()
    assert_problem(
        await intake.client.put(f"{REGISTER}/{system_id}/{path}", json=body, headers=auth), status, code
    )
    assert (await intake.client.get(f"{REGISTER}/{system_id}", headers=auth)).json() == before
    log = (await intake.client.get(f"{REGISTER}/{system_id}/changelog", headers=auth)).json()
    assert [e["changeType"] for e in log] == ["create"]


async def test_only_the_owning_vendor_changes_a_system_or_reads_its_log(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    system_id = await register(intake, auth)
    other = intake.auth(token_for(OTHER_VENDOR))
    read_only = intake.auth(token_for(SMARTCLOUD, READ_ONLY))
    rights = [resource("nav-sykmelding")]
    for headers, status in ((other, 404), (read_only, 403)):
        assert_problem(
            await intake.client.put(f"{REGISTER}/{system_id}/rights", json=rights, headers=headers), status
        )
        assert_problem(
            await intake.client.put(f"{REGISTER}/{system_id}/accesspackages", json=[], headers=headers),
            status,
        )
        assert_problem(await intake.client.get(f"{REGISTER}/{system_id}/changelog", headers=headers), status)
    log = (await intake.client.get(f"{REGISTER}/{system_id}/changelog", headers=auth)).json()
    assert [e["changeType"] for e in log] == ["create"]
    deleted = await intake.client.delete(f"{REGISTER}/{system_id}", headers=auth)
    assert deleted.status_code == 200
    assert_problem(await intake.client.put(f"{REGISTER}/{system_id}/rights", json=rights, headers=auth), 404)
    assert_problem(await intake.client.get(f"{REGISTER}/{system_id}/changelog", headers=auth), 404)


# --- client ids, isVisible --------------------------------------------------------------------


async def test_a_client_id_used_by_another_system_is_refused(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    shared_client = f"client-{uuid.uuid4()}"
    owner = f"{SMARTCLOUD}_own{uuid.uuid4().hex[:8]}"
    created = await intake.client.post(
        REGISTER, json=system_body(owner, clientId=[shared_client]), headers=auth
    )
    assert created.status_code == 201, created.text

    taker = f"{SMARTCLOUD}_take{uuid.uuid4().hex[:8]}"
    body = system_body(taker, clientId=[shared_client.upper()])
    assert_problem(await intake.client.post(REGISTER, json=body, headers=auth), 400, "AUTH.VLD-00004")
    assert_problem(await intake.client.get(f"{REGISTER}/{taker}", headers=auth), 404)
    # The seeded system's client id is taken as well.
    seeded = system_body(taker, clientId=[SMARTCLOUD])
    assert_problem(await intake.client.post(REGISTER, json=seeded, headers=auth), 400, "AUTH.VLD-00004")

    # A replace may not take it either; once the owner lets it go, it is free.
    other = await register(intake, auth)
    current = (await intake.client.get(f"{REGISTER}/{other}", headers=auth)).json()
    replacement = {k: current[k] for k in system_body(other)} | {"clientId": [shared_client]}
    assert_problem(
        await intake.client.put(f"{REGISTER}/{other}", json=replacement, headers=auth), 400, "AUTH.VLD-00004"
    )
    released = await intake.client.put(
        f"{REGISTER}/{owner}", json=system_body(owner, clientId=[]), headers=auth
    )
    assert released.status_code == 200, released.text
    taken = await intake.client.put(f"{REGISTER}/{other}", json=replacement, headers=auth)
    assert taken.status_code == 200, taken.text


async def test_concurrent_registrations_with_one_client_id_store_one_system(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    auth = intake.auth(token_for())
    client_id = f"client-{uuid.uuid4()}"
    ids = [f"{SMARTCLOUD}_race{uuid.uuid4().hex[:8]}" for _ in range(10)]
    responses = await asyncio.gather(
        *(intake.client.post(REGISTER, json=system_body(i, clientId=[client_id]), headers=auth) for i in ids)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * 9, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 400} == {"AUTH.VLD-00004"}
    listed = (await intake.client.get(REGISTER, headers=auth)).json()
    assert len([s for s in listed if s["id"] in ids]) == 1


async def test_is_visible_defaults_to_true(intake: RunningIntake, token_for: TokenFactory) -> None:
    auth = intake.auth(token_for())
    system_id = f"{SMARTCLOUD}_vis{uuid.uuid4().hex[:8]}"
    body = system_body(system_id)
    del body["isVisible"]
    created = await intake.client.post(REGISTER, json=body, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["isVisible"] is True
    registered = await wait_for_records(
        intake.settings.kafka_bootstrap,
        "sysaccess.system-registered.v1",
        lambda r: r["value"]["system"]["systemId"] == system_id,
    )
    assert registered[0]["value"]["system"]["isVisible"] is True
    # So a client package needs isVisible: false, as in Altinn.
    client_system = system_body(
        f"{SMARTCLOUD}_vis{uuid.uuid4().hex[:8]}", accessPackages=[{"urn": PKG + "ansvarlig-revisor"}]
    )
    del client_system["isVisible"]
    assert_problem(
        await intake.client.post(REGISTER, json=client_system, headers=auth), 400, "AUTH.VLD-00018"
    )


async def test_an_index_entry_of_a_system_that_is_gone_holds_nothing(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    """An owner entry the register cannot back (its system gone, or no longer listing the client
    id) is checked against the system's record and does not refuse the client id."""
    auth = intake.auth(token_for())
    redis = intake.app.state.runtime.redis
    prefix = intake.settings.redis_prefix
    stale = f"client-{uuid.uuid4()}"
    await redis.set(f"{prefix}:clientid:{stale}", f"{SMARTCLOUD}_gone")
    system_id = f"{SMARTCLOUD}_heal{uuid.uuid4().hex[:8]}"
    created = await intake.client.post(REGISTER, json=system_body(system_id, clientId=[stale]), headers=auth)
    assert created.status_code == 201, created.text
    assert await redis.get(f"{prefix}:clientid:{stale}") in (system_id, system_id.encode())

"""Validation errors in Altinn's shape: every broken rule at once, each with its code and paths.

Also the vendor API's smaller Altinn details: ``redirectUrl: ""`` is no redirect, ``confirmUrl``
carries ``DONTCHOOSEREPORTEE=true``, and a 405 names every method of the path in ``Allow``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.request_intake.domain.refusals import Refusal
from services.request_intake.domain.request_specs import validate_request
from services.request_intake.domain.requests import AccessRequest
from services.request_intake.domain.systems import validate_system
from services.request_intake.handlers.problems import problem_for
from services.request_intake.handlers.schemas import (
    AgentRequestBody,
    PublicUrls,
    StandardRequestBody,
    SystemBody,
)
from shared.events import RequestType, SystemDescription
from shared.problems import install_problem_handlers, json_path
from shared.world import World, load_world

pytestmark = pytest.mark.unit

SMARTCLOUD = "314000110"
SYSTEM_ID = "314000110_smartcloud"
TIGER = "310614289"
PKG = "urn:altinn:accesspackage:"


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


@pytest.fixture(scope="module")
def system(world: World) -> SystemDescription:
    return validate_system(SystemBody.model_validate(world.systems[0]), SMARTCLOUD, world)


def right(resource_id: str) -> dict[str, Any]:
    return {"resource": [{"id": "urn:altinn:resource", "value": resource_id}]}


def errors_of(refused: pytest.ExceptionInfo[Refusal]) -> dict[str, Any]:
    return problem_for(refused.value).body()


def test_a_request_hears_of_every_broken_rule_at_once(world: World, system: SystemDescription) -> None:
    body = StandardRequestBody.model_validate(
        {
            "systemId": SYSTEM_ID,
            "partyOrgNo": "310614288",  # wrong check digit
            "redirectUrl": "https://evil.example/",
            "rights": [right("ske-krav-og-betalinger"), right("not-in-the-system")],
            "accessPackages": [{"urn": PKG + "skattnaering"}, {"urn": PKG + "ansvarlig-revisor"}],
        }
    )
    with pytest.raises(Refusal) as refused:
        validate_request(body, system, world, require_known_party=False)
    problem = errors_of(refused)
    # The first rule's code stays the problem's code, as before the list existed.
    assert (problem["status"], problem["code"]) == (400, "AUTH-00000")
    assert [(e["code"], e["paths"]) for e in problem["errors"]] == [
        ("AUTH-00000", ["/partyOrgNo"]),
        ("AUTH-00021", ["/redirectUrl"]),
        ("AUTH-00001", ["/rights/1/resource"]),
        ("AUTH-00063", ["/accessPackages/1/urn"]),
    ]
    assert all(e["detail"] for e in problem["errors"])
    assert problem["notFoundRights"] == ["not-in-the-system"]
    assert problem["notFoundPackages"] == [PKG + "ansvarlig-revisor"]


def test_a_single_refusal_lists_itself(world: World, system: SystemDescription) -> None:
    body = AgentRequestBody.model_validate({"systemId": SYSTEM_ID, "partyOrgNo": TIGER, "accessPackages": []})
    with pytest.raises(Refusal) as refused:
        validate_request(body, system, world, require_known_party=False)
    problem = errors_of(refused)
    assert problem["code"] == "AUTH-00058"
    assert problem["errors"] == [
        {"code": "AUTH-00058", "detail": problem["detail"], "paths": ["/accessPackages"]}
    ]


def test_a_system_hears_of_every_broken_rule_at_once(world: World) -> None:
    raw = copy.deepcopy(world.systems[0])
    raw |= {
        "vendor": {"authority": "iso6523-actorid-upis", "ID": "0192:314000111"},
        "rights": [right("ske-krav-og-betalinger"), right("no-such-resource")],
        "accessPackages": [{"urn": PKG + "skattnaering"}, {"urn": PKG + "skattnaering"}, {"urn": "x"}],
        "clientId": ["a", "a"],
        "allowedRedirectUrls": ["https://ok.example/done", "http://plain.example/"],
        "name": {"nb": "  "},
    }
    with pytest.raises(Refusal) as refused:
        validate_system(SystemBody.model_validate(raw), SMARTCLOUD, world)
    problem = errors_of(refused)
    assert problem["code"] == "AUTH.VLD-00000"
    assert [(e["code"], e["paths"]) for e in problem["errors"]] == [
        ("AUTH.VLD-00000", ["/vendor/ID"]),
        ("AUTH.VLD-00003", ["/rights/1/resource"]),
        ("AUTH.VLD-00007", ["/accessPackages/1/urn"]),
        ("AUTH.VLD-00008", ["/accessPackages/2/urn"]),
        ("AUTH.VLD-00011", ["/clientId"]),
        ("AUTH.VLD-00005", ["/allowedRedirectUrls/1"]),
        ("AUTH.VLD-00010", ["/name"]),
    ]


def test_another_vendors_system_is_forbidden_at_once(world: World) -> None:
    """Not a validation error: the caller may not act, whatever else is wrong."""
    raw = copy.deepcopy(world.systems[0]) | {"clientId": ["a", "a"]}
    with pytest.raises(Refusal) as refused:
        validate_system(SystemBody.model_validate(raw), "313222225", world)
    assert refused.value.kind.value == "forbidden"
    assert "errors" not in problem_for(refused.value).body()


@pytest.mark.parametrize(
    ("location", "path"),
    [
        (("body", "rights", 0, "resource"), "/rights/0/resource"),
        (("body",), "/"),
        (("query", "system-id"), "/$QUERY/system-id"),
        (("path", "system_id"), "/$PATH/system_id"),
        (("body", "a/b~c"), "/a~1b~0c"),
    ],
)
def test_json_paths(location: tuple[str | int, ...], path: str) -> None:
    assert json_path(location) == path


class ThingBody(BaseModel):
    name: str
    items: list[int]


async def test_schema_errors_are_all_listed_with_paths() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def things(body: ThingBody) -> None: ...

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post("/things", json={"items": [1, "x", 3, "y"]})
    assert answer.status_code == 400
    problem = answer.json()
    assert (problem["code"], problem["title"]) == ("AUTH.VLD-BODY", "One or more validation errors occurred.")
    assert [(e["code"], e["paths"]) for e in problem["errors"]] == [
        ("STD.VLD-00000", ["/name"]),
        ("AUTH.VLD-BODY", ["/items/1"]),
        ("AUTH.VLD-BODY", ["/items/3"]),
    ]


async def test_a_405_names_every_method_of_the_path() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things/{thing_id}")
    async def get_thing(thing_id: str) -> None: ...

    @app.delete("/things/{thing_id}")
    async def delete_thing(thing_id: str) -> None: ...

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.put("/things/1")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET"
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("empty", ["", "  ", None])
def test_an_empty_redirect_url_is_no_redirect(
    world: World, system: SystemDescription, empty: str | None
) -> None:
    """As Altinn: redirectUrl "" is accepted and means none (it was refused as too short)."""
    for spec_type in (StandardRequestBody, AgentRequestBody):
        packages = [
            {"urn": PKG + ("skattnaering" if spec_type is StandardRequestBody else "regnskapsforer-lonn")}
        ]
        body = spec_type.model_validate(
            {"systemId": SYSTEM_ID, "partyOrgNo": TIGER, "accessPackages": packages, "redirectUrl": empty}
        )
        assert body.redirect_url is None
        validate_request(body, system, world, require_known_party=False)


def test_confirm_url_skips_the_reportee_picker_as_altinn() -> None:
    urls = PublicUrls("https://api.example", "https://portal.example")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": "6f1c1d3e-0000-4000-8000-000000000001",
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "party_org_no": TIGER,
        "external_ref": TIGER,
        "integration_title": "SmartCloud",
        "created": now,
        "expires_at": now,
    }
    standard = AccessRequest(request_type=RequestType.STANDARD, **fields)
    agent = AccessRequest(request_type=RequestType.AGENT, **fields)
    assert urls.confirm(standard) == (
        "https://portal.example/accessmanagement/ui/systemuser/request"
        "?id=6f1c1d3e-0000-4000-8000-000000000001&DONTCHOOSEREPORTEE=true"
    )
    assert urls.confirm(agent).startswith(
        "https://portal.example/accessmanagement/ui/systemuser/agentrequest?id="
    )
    assert urls.confirm(agent).endswith("&DONTCHOOSEREPORTEE=true")

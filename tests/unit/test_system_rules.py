"""validate_system: the system register's business rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from services.request_intake.domain.references import vendor_org_from_id
from services.request_intake.domain.refusals import Refusal
from services.request_intake.domain.systems import validate_system
from services.request_intake.handlers.problems import problem_for
from services.request_intake.handlers.schemas import SystemBody
from shared.events import SystemDescription
from shared.problems import Problem
from shared.world import World, load_world

SMARTCLOUD = "314000110"
FLINK = "313222225"
SYSTEM_ID = "314000110_smartcloud"
PKG = "urn:altinn:accesspackage:"


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


def seeded() -> dict[str, Any]:
    return copy.deepcopy(load_world().systems[0])


def body_with(**changes: Any) -> SystemBody:
    raw = seeded()
    raw.update(changes)
    return SystemBody.model_validate(raw)


def right(resource_id: str) -> dict[str, Any]:
    return {"resource": [{"id": "urn:altinn:resource", "value": resource_id}]}


def problem_of(
    body: SystemBody, world: World, caller: str = SMARTCLOUD, path_id: str | None = None
) -> Problem:
    with pytest.raises(Refusal) as caught:
        validate_system(body, caller, world, path_id)
    return problem_for(caught.value)


# --- happy path ---------------------------------------------------------------------------


def test_seeded_system_is_valid(world: World) -> None:
    result = validate_system(SystemBody.model_validate(world.systems[0]), SMARTCLOUD, world)
    assert isinstance(result, SystemDescription)
    assert result.system_id == SYSTEM_ID
    assert result.vendor_org_no == SMARTCLOUD
    assert result.name == {"nb": "SmartCloud", "en": "SmartCloud", "nn": "SmartCloud"}
    assert result.description["en"] == "Accounting in the cloud"
    assert result.rights == ("ske-krav-og-betalinger", "app_skd_mva-melding", "nav-sykmelding")
    assert result.access_packages == (
        PKG + "skattnaering",
        PKG + "regnskap-okonomi-rapport",
        PKG + "regnskapsforer-med-signeringsrettighet",
        PKG + "regnskapsforer-lonn",
    )
    assert result.allowed_redirect_urls == ("https://smartcloud.example/receipt",)
    assert result.is_visible is False
    assert result.webhook_url is None


def test_matching_path_id_is_fine(world: World) -> None:
    result = validate_system(body_with(), SMARTCLOUD, world, path_id=SYSTEM_ID)
    assert result.system_id == SYSTEM_ID


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"rights": [], "accessPackages": []}, id="nothing"),
        pytest.param({"id": "314000110_a.b-c_D9"}, id="id-allowed-punctuation"),
        pytest.param({"id": "314000110_" + "x" * 100}, id="id-100-chars-after-underscore"),
        pytest.param(
            {
                "isVisible": True,
                "accessPackages": [{"urn": PKG + "skattnaering"}],
            },
            id="visible-with-assignable-package",
        ),
        pytest.param({"clientId": ["a", "b"]}, id="client-ids"),
        pytest.param({"allowedRedirectUrls": []}, id="no-redirect-urls"),
        pytest.param(
            {"allowedRedirectUrls": ["https://a.example/x", "https://b.example:8443/"]},
            id="two-redirect-urls",
        ),
        pytest.param({"webhookUrl": "https://smartcloud.example/hook"}, id="webhook"),
        pytest.param({"name": {"nb": "SmartCloud"}}, id="one-name"),
    ],
)
def test_valid_variants(changes: dict[str, Any], world: World) -> None:
    body = body_with(**changes)
    result = validate_system(body, SMARTCLOUD, world)
    assert result.system_id == body.id
    assert result.rights == tuple(a.value for r in body.rights for a in r.resource)
    assert result.access_packages == tuple(p.urn for p in body.access_packages)
    assert result.allowed_redirect_urls == tuple(body.allowed_redirect_urls)
    assert result.webhook_url == body.webhook_url


# --- vendor -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vendor_id",
    [
        pytest.param("314000110", id="no-prefix"),
        pytest.param("0192:314000111", id="bad-check-digit"),
        pytest.param("0193:314000110", id="other-scheme"),
        pytest.param("0192-314000110", id="dash"),
        pytest.param("0192:", id="empty-org"),
        pytest.param("", id="empty"),
        pytest.param("0192:31400011", id="8-digits"),
        pytest.param("0192:314000110:x", id="trailing-part"),
        pytest.param("0192:\u0663\u0661\u0664\u0660\u0660\u0660\u0661\u0661\u0660", id="arabic"),
    ],
)
def test_bad_vendor_id(vendor_id: str, world: World) -> None:
    body = body_with(vendor={"authority": "iso6523-actorid-upis", "ID": vendor_id})
    problem = problem_of(body, world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00000")


@pytest.mark.parametrize(
    ("vendor_id", "expected"),
    [
        pytest.param("0192:314000110", SMARTCLOUD, id="ok"),
        pytest.param("0192:313222225", FLINK, id="flink"),
        pytest.param("0192:314000111", None, id="bad-check"),
        pytest.param("9908:314000110", None, id="other-prefix"),
        pytest.param("314000110", None, id="no-prefix"),
    ],
)
def test_vendor_org_from_id(vendor_id: str, expected: str | None) -> None:
    assert vendor_org_from_id(vendor_id) == expected


@pytest.mark.parametrize(
    "caller",
    [
        pytest.param(FLINK, id="other-org"),
        pytest.param("310614289", id="customer"),
        pytest.param("", id="empty"),
    ],
)
def test_caller_is_not_the_vendor(caller: str, world: World) -> None:
    problem = problem_of(body_with(), world, caller=caller)
    assert problem.status == 403


# --- id -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "system_id",
    [
        pytest.param("313222225_smartcloud", id="other-vendor-prefix"),
        pytest.param("smartcloud", id="no-prefix"),
        pytest.param("314000110smartcloud", id="no-underscore"),
        pytest.param("314000110_", id="nothing-after-underscore"),
        pytest.param("314000110-smartcloud", id="dash-not-underscore"),
        pytest.param("3140001100_smartcloud", id="ten-digit-prefix"),
        pytest.param("314000110_smart/cloud", id="slash"),
        pytest.param("314000110_smart\tcloud", id="tab"),
        pytest.param("314000110_sm\u00e5rtcloud", id="non-ascii"),
        pytest.param("314000110_" + "x" * 101, id="too-long"),
    ],
)
def test_bad_system_id(system_id: str, world: World) -> None:
    problem = problem_of(body_with(id=system_id), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00001")


@pytest.mark.parametrize(
    "system_id",
    [
        pytest.param("314000110_smart cloud", id="inner-space"),
        pytest.param("314000110 _smartcloud", id="space-before-underscore"),
        pytest.param("314000110_a b c", id="many-spaces"),
    ],
)
def test_system_id_with_spaces(system_id: str, world: World) -> None:
    problem = problem_of(body_with(id=system_id), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00013")


@pytest.mark.parametrize(
    "path_id",
    [
        pytest.param("314000110_other", id="other"),
        pytest.param("314000110_SMARTCLOUD", id="case"),
        pytest.param("", id="empty"),
    ],
)
def test_path_id_differs_from_body(path_id: str, world: World) -> None:
    problem = problem_of(body_with(), world, path_id=path_id)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00012")


# --- rights and packages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param("unknown-resource", id="unknown"),
        pytest.param("NAV-SYKMELDING", id="case-differs"),
        pytest.param("urn:altinn:resource:nav-sykmelding", id="urn-form"),
    ],
)
def test_unknown_resource(resource_id: str, world: World) -> None:
    problem = problem_of(body_with(rights=[right("nav-sykmelding"), right(resource_id)]), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00003")
    assert problem.detail is not None
    assert resource_id in problem.detail


def test_duplicate_rights(world: World) -> None:
    body = body_with(rights=[right("nav-sykmelding"), right("nav-sykmelding")])
    problem = problem_of(body, world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00006")


@pytest.mark.parametrize(
    "rights",
    [
        pytest.param(
            [
                {
                    "resource": [
                        {"id": "urn:altinn:resource", "value": "nav-sykmelding"},
                        {"id": "urn:altinn:resource", "value": "app_skd_mva-melding"},
                    ]
                }
            ],
            id="two-resources",
        ),
        pytest.param([{"resource": [{"id": "urn:altinn:org", "value": "skd"}]}], id="not-a-resource"),
        pytest.param(
            [
                {
                    "resource": [
                        {"id": "urn:altinn:resource", "value": "nav-sykmelding"},
                        {"id": "urn:altinn:org", "value": "nav"},
                    ]
                }
            ],
            id="extra-attribute",
        ),
    ],
)
def test_right_shape(rights: list[dict[str, Any]], world: World) -> None:
    problem = problem_of(body_with(rights=rights), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00009")


def test_duplicate_packages(world: World) -> None:
    packages = [{"urn": PKG + "skattnaering"}, {"urn": PKG + "skattnaering"}]
    problem = problem_of(body_with(accessPackages=packages), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00007")


@pytest.mark.parametrize(
    "urn",
    [
        pytest.param(PKG + "unknown", id="unknown"),
        pytest.param("skattnaering", id="bare-name"),
        pytest.param("urn:altinn:accesspackages:skattnaering", id="wrong-prefix"),
        pytest.param("URN:ALTINN:ACCESSPACKAGE:skattnaering", id="upper-prefix"),
        pytest.param(PKG + "Skattnaering", id="name-case"),
        pytest.param(PKG, id="prefix-only"),
    ],
)
def test_unknown_or_malformed_package(urn: str, world: World) -> None:
    problem = problem_of(body_with(accessPackages=[{"urn": urn}]), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00008")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("regnskapsforer-med-signeringsrettighet", id="signering"),
        pytest.param("regnskapsforer-lonn", id="lonn"),
        pytest.param("ansvarlig-revisor", id="revisor"),
    ],
)
def test_visible_system_with_client_package(name: str, world: World) -> None:
    body = body_with(isVisible=True, accessPackages=[{"urn": PKG + name}])
    problem = problem_of(body, world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00018")


def test_seeded_system_made_visible_is_refused(world: World) -> None:
    problem = problem_of(body_with(isVisible=True), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00018")


def test_duplicate_client_ids(world: World) -> None:
    problem = problem_of(body_with(clientId=["abc", "abc"]), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00011")


# --- URLs and name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://smartcloud.example/receipt", id="http"),
        pytest.param("https://smartcloud.example/receipt?x=1", id="query"),
        pytest.param("https://smartcloud.example/receipt#x", id="fragment"),
        pytest.param("https://user@smartcloud.example/receipt", id="userinfo"),
        pytest.param("/receipt", id="relative"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("https://smartcloud.example\\receipt", id="backslash"),
        pytest.param("https://smartcl\u043eud.example/receipt", id="cyrillic"),
        pytest.param("https://smartcloud.example:0/receipt", id="port-0"),
    ],
)
def test_bad_redirect_url(url: str, world: World) -> None:
    body = body_with(allowedRedirectUrls=["https://smartcloud.example/receipt", url])
    problem = problem_of(body, world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00005")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://smartcloud.example/hook", id="http"),
        pytest.param("https://smartcloud.example/hook?x=1", id="query"),
        pytest.param("https://user:pw@smartcloud.example/hook", id="userinfo"),
    ],
)
def test_bad_webhook_url(url: str, world: World) -> None:
    problem = problem_of(body_with(webhookUrl=url), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00005")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param({}, id="empty"),
        pytest.param({"nb": "", "en": "  "}, id="blank"),
    ],
)
def test_system_needs_a_name(name: dict[str, str], world: World) -> None:
    problem = problem_of(body_with(name=name), world)
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00010")


# --- order of checks ----------------------------------------------------------------------


def test_vendor_checked_before_caller(world: World) -> None:
    body = body_with(vendor={"ID": "0192:314000111"})
    problem = problem_of(body, world, caller=FLINK)
    assert problem.code == "AUTH.VLD-00000"


def test_caller_checked_before_content(world: World) -> None:
    body = body_with(id="bad id", rights=[right("nope")])
    problem = problem_of(body, world, caller=FLINK)
    assert problem.status == 403

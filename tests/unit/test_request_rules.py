"""validate_request against the seeded world and the seeded SmartCloud system."""

from __future__ import annotations

from typing import Any

import pytest

from services.request_intake.domain.refusals import Refusal
from services.request_intake.domain.request_specs import validate_party, validate_request
from services.request_intake.domain.systems import validate_system
from services.request_intake.handlers.problems import problem_for
from services.request_intake.handlers.schemas import AgentRequestBody, StandardRequestBody, SystemBody
from shared.events import SystemDescription
from shared.problems import Problem
from shared.world import World, load_world

SMARTCLOUD = "314000110"
SYSTEM_ID = "314000110_smartcloud"
TIGER = "310614289"
UNKNOWN_VALID_ORG = "310000000"  # valid MOD11, not in the seeded world
REDIRECT = "https://smartcloud.example/receipt"

PKG = "urn:altinn:accesspackage:"
SKATT = PKG + "skattnaering"
REGNSKAP = PKG + "regnskap-okonomi-rapport"
SIGNERING = PKG + "regnskapsforer-med-signeringsrettighet"
LONN = PKG + "regnskapsforer-lonn"
REVISOR = PKG + "ansvarlig-revisor"  # a client package the system does not hold


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


@pytest.fixture(scope="module")
def system(world: World) -> SystemDescription:
    return validate_system(SystemBody.model_validate(world.systems[0]), SMARTCLOUD, world)


def right(resource_id: str) -> dict[str, Any]:
    return {"resource": [{"id": "urn:altinn:resource", "value": resource_id}]}


def pkg(urn: str) -> dict[str, str]:
    return {"urn": urn}


def standard(**fields: Any) -> StandardRequestBody:
    return StandardRequestBody.model_validate({"systemId": SYSTEM_ID, "partyOrgNo": TIGER, **fields})


def agent(**fields: Any) -> AgentRequestBody:
    return AgentRequestBody.model_validate({"systemId": SYSTEM_ID, "partyOrgNo": TIGER, **fields})


def expect_problem(
    body: StandardRequestBody | AgentRequestBody,
    system: SystemDescription,
    world: World,
    *,
    require_known_party: bool = False,
) -> Problem:
    with pytest.raises(Refusal) as caught:
        validate_request(body, system, world, require_known_party=require_known_party)
    return problem_for(caught.value)


def test_seeded_system_description(system: SystemDescription) -> None:
    assert system.system_id == SYSTEM_ID
    assert system.vendor_org_no == SMARTCLOUD
    assert system.rights == ("ske-krav-og-betalinger", "app_skd_mva-melding", "nav-sykmelding")
    assert system.access_packages == (SKATT, REGNSKAP, SIGNERING, LONN)
    assert system.allowed_redirect_urls == (REDIRECT,)
    assert system.is_visible is False


# --- happy paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"rights": [right("ske-krav-og-betalinger")], "accessPackages": [pkg(SKATT)]},
            (("ske-krav-og-betalinger",), (SKATT,)),
            id="one-right-one-package",
        ),
        pytest.param(
            {
                "rights": [right("nav-sykmelding"), right("app_skd_mva-melding")],
                "accessPackages": [pkg(REGNSKAP), pkg(SKATT)],
            },
            (("nav-sykmelding", "app_skd_mva-melding"), (REGNSKAP, SKATT)),
            id="order-kept",
        ),
        pytest.param(
            {"rights": [right("nav-sykmelding")]},
            (("nav-sykmelding",), ()),
            id="rights-only",
        ),
        pytest.param(
            {"accessPackages": [pkg(SKATT)]},
            ((), (SKATT,)),
            id="packages-only",
        ),
        pytest.param(
            {"rights": [right("nav-sykmelding")], "accessPackages": []},
            (("nav-sykmelding",), ()),
            id="empty-package-list",
        ),
        pytest.param(
            {"rights": [right("nav-sykmelding")], "redirectUrl": REDIRECT + "?state=x"},
            (("nav-sykmelding",), ()),
            id="with-redirect-and-query",
        ),
        pytest.param(
            {
                "rights": [right("ske-krav-og-betalinger")],
                "accessPackages": [pkg(SKATT)],
                "partyOrgNo": " 310614289 ",
            },
            (("ske-krav-og-betalinger",), (SKATT,)),
            id="party-whitespace-stripped-by-schema",
        ),
    ],
)
def test_standard_request_ok(
    fields: dict[str, Any],
    expected: tuple[tuple[str, ...], tuple[str, ...]],
    system: SystemDescription,
    world: World,
) -> None:
    result = validate_request(standard(**fields), system, world, require_known_party=True)
    assert result == expected


@pytest.mark.parametrize(
    ("packages", "party"),
    [
        pytest.param([SIGNERING], "313222225", id="signering"),
        pytest.param([LONN], "313222225", id="lonn"),
        pytest.param([SIGNERING, LONN], "313222225", id="both"),
        pytest.param([LONN, SIGNERING], TIGER, id="both-reversed"),
    ],
)
def test_agent_request_ok(packages: list[str], party: str, system: SystemDescription, world: World) -> None:
    body = agent(partyOrgNo=party, accessPackages=[pkg(p) for p in packages], redirectUrl=REDIRECT)
    result = validate_request(body, system, world, require_known_party=True)
    assert result == ((), tuple(packages))


def test_unknown_party_allowed_when_not_required(system: SystemDescription, world: World) -> None:
    body = standard(partyOrgNo=UNKNOWN_VALID_ORG, rights=[right("nav-sykmelding")])
    assert validate_request(body, system, world, require_known_party=False) == (
        ("nav-sykmelding",),
        (),
    )


# --- AUTH-00000: party ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "party",
    [
        pytest.param("310614288", id="wrong-check-digit"),
        pytest.param("31061428", id="8-digits"),
        pytest.param("3106142890", id="10-digits"),
        pytest.param("31061428X", id="letter"),
        pytest.param("\u0663\u0661\u0660\u0666\u0661\u0664\u0662\u0668\u0669", id="arabic-indic"),
        pytest.param("310 614 289", id="inner-spaces"),
        pytest.param("", id="empty"),
        pytest.param("310000060", id="remainder-10"),
    ],
)
@pytest.mark.parametrize("require_known", [True, False], ids=["known-required", "any"])
def test_bad_party_org_no(party: str, require_known: bool, system: SystemDescription, world: World) -> None:
    body = standard(partyOrgNo=party, rights=[right("nav-sykmelding")])
    problem = expect_problem(body, system, world, require_known_party=require_known)
    assert (problem.status, problem.code) == (400, "AUTH-00000")


def test_unknown_party_refused_when_required(system: SystemDescription, world: World) -> None:
    body = standard(partyOrgNo=UNKNOWN_VALID_ORG, rights=[right("nav-sykmelding")])
    problem = expect_problem(body, system, world, require_known_party=True)
    assert (problem.status, problem.code) == (400, "AUTH-00000")
    assert problem.title == "Party not found"


def test_unknown_party_refused_for_agent_when_required(system: SystemDescription, world: World) -> None:
    body = agent(partyOrgNo=UNKNOWN_VALID_ORG, accessPackages=[pkg(LONN)])
    problem = expect_problem(body, system, world, require_known_party=True)
    assert (problem.status, problem.code) == (400, "AUTH-00000")


def test_party_checked_before_everything_else(system: SystemDescription, world: World) -> None:
    body = standard(partyOrgNo="123", redirectUrl="http://evil.com/")
    problem = expect_problem(body, system, world)
    assert problem.code == "AUTH-00000"


@pytest.mark.parametrize(
    ("org_no", "require_known", "ok"),
    [
        pytest.param(TIGER, True, True, id="known"),
        pytest.param(UNKNOWN_VALID_ORG, False, True, id="unknown-not-required"),
        pytest.param(UNKNOWN_VALID_ORG, True, False, id="unknown-required"),
        pytest.param("310614288", False, False, id="invalid"),
    ],
)
def test_validate_party(org_no: str, require_known: bool, ok: bool, world: World) -> None:
    if ok:
        validate_party(org_no, world, require_known)
        return
    with pytest.raises(Refusal) as caught:
        validate_party(org_no, world, require_known)
    problem = problem_for(caught.value)
    assert (problem.status, problem.code) == (400, "AUTH-00000")


# --- redirect URL ---------------------------------------------------------------------------


def test_system_without_redirect_urls(system: SystemDescription, world: World) -> None:
    bare = system.model_copy(update={"allowed_redirect_urls": ()})
    body = standard(rights=[right("nav-sykmelding")], redirectUrl=REDIRECT)
    problem = expect_problem(body, bare, world)
    assert (problem.status, problem.code) == (400, "AUTH-00026")


def test_system_without_redirect_urls_agent(system: SystemDescription, world: World) -> None:
    bare = system.model_copy(update={"allowed_redirect_urls": ()})
    body = agent(accessPackages=[pkg(LONN)], redirectUrl=REDIRECT)
    problem = expect_problem(body, bare, world)
    assert (problem.status, problem.code) == (400, "AUTH-00026")


def test_system_without_redirect_urls_and_no_redirect_is_fine(
    system: SystemDescription, world: World
) -> None:
    bare = system.model_copy(update={"allowed_redirect_urls": ()})
    body = standard(rights=[right("nav-sykmelding")])
    assert validate_request(body, bare, world, require_known_party=True) == (
        ("nav-sykmelding",),
        (),
    )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://smartcloud.example/receipt", id="http"),
        pytest.param("https://evil.com/receipt", id="other-host"),
        pytest.param("https://smartcloud.example/receipt/", id="trailing-slash"),
        pytest.param("https://smartcloud.example/receipt#x", id="fragment"),
        pytest.param("https://user@smartcloud.example/receipt", id="userinfo"),
        pytest.param("javascript:alert(1)", id="javascript"),
    ],
)
def test_redirect_not_allowed(url: str, system: SystemDescription, world: World) -> None:
    body = standard(rights=[right("nav-sykmelding")], redirectUrl=url)
    problem = expect_problem(body, system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00021")


def test_redirect_not_allowed_agent(system: SystemDescription, world: World) -> None:
    body = agent(accessPackages=[pkg(LONN)], redirectUrl="https://evil.com/receipt")
    problem = expect_problem(body, system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00021")


# --- what is requested --------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({}, id="no-packages-field"),
        pytest.param({"accessPackages": None}, id="null-packages"),
        pytest.param({"accessPackages": []}, id="empty-packages"),
    ],
)
def test_agent_request_without_packages(
    fields: dict[str, Any], system: SystemDescription, world: World
) -> None:
    problem = expect_problem(agent(**fields), system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00058")


def test_agent_body_refuses_rights() -> None:
    with pytest.raises(ValueError, match="rights"):
        agent(rights=[right("nav-sykmelding")], accessPackages=[pkg(LONN)])


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({}, id="neither-field"),
        pytest.param({"rights": None, "accessPackages": None}, id="both-null"),
        pytest.param({"rights": [], "accessPackages": []}, id="both-empty"),
        pytest.param({"rights": []}, id="empty-rights"),
    ],
)
def test_nothing_requested(fields: dict[str, Any], system: SystemDescription, world: World) -> None:
    problem = expect_problem(standard(**fields), system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00059")


@pytest.mark.parametrize(
    ("rights", "missing"),
    [
        pytest.param(["unknown-resource"], ["unknown-resource"], id="unknown"),
        pytest.param(["nav-sykmelding", "zzz", "aaa"], ["aaa", "zzz"], id="some-unknown-sorted"),
        pytest.param(["NAV-SYKMELDING"], ["NAV-SYKMELDING"], id="case-differs"),
        pytest.param(["nav-sykmelding", "nav-sykmelding"], [], id="duplicate"),
    ],
)
def test_right_not_in_system(
    rights: list[str], missing: list[str], system: SystemDescription, world: World
) -> None:
    body = standard(rights=[right(r) for r in rights], accessPackages=[pkg(SKATT)])
    problem = expect_problem(body, system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00001")
    assert problem.extensions["notFoundRights"] == missing


@pytest.mark.parametrize(
    ("packages", "missing"),
    [
        pytest.param([REVISOR], [REVISOR], id="client-package-not-in-system"),
        pytest.param([SKATT, PKG + "nope"], [PKG + "nope"], id="unknown-package"),
        pytest.param(["skattnaering"], ["skattnaering"], id="bare-name"),
        pytest.param([SKATT, SKATT], [], id="duplicate"),
    ],
)
def test_standard_package_not_in_system(
    packages: list[str], missing: list[str], system: SystemDescription, world: World
) -> None:
    body = standard(accessPackages=[pkg(p) for p in packages])
    problem = expect_problem(body, system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00063")
    assert problem.extensions["notFoundPackages"] == missing


@pytest.mark.parametrize(
    "packages",
    [
        pytest.param([REVISOR], id="revisor"),
        pytest.param([LONN, LONN], id="duplicate"),
        pytest.param([LONN, PKG + "nope"], id="unknown"),
    ],
)
def test_agent_package_not_in_system(packages: list[str], system: SystemDescription, world: World) -> None:
    problem = expect_problem(agent(accessPackages=[pkg(p) for p in packages]), system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00063")


def test_system_package_missing_from_world(system: SystemDescription, world: World) -> None:
    odd = system.model_copy(update={"access_packages": (*system.access_packages, PKG + "ghost")})
    problem = expect_problem(standard(accessPackages=[pkg(PKG + "ghost")]), odd, world)
    assert (problem.status, problem.code) == (400, "AUTH-00063")


@pytest.mark.parametrize(
    ("packages", "offending"),
    [
        pytest.param([SIGNERING], SIGNERING, id="signering"),
        pytest.param([LONN], LONN, id="lonn"),
        pytest.param([SKATT, LONN], LONN, id="mixed"),
    ],
)
def test_client_package_in_standard_request(
    packages: list[str], offending: str, system: SystemDescription, world: World
) -> None:
    body = standard(rights=[right("nav-sykmelding")], accessPackages=[pkg(p) for p in packages])
    problem = expect_problem(body, system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00064")
    assert problem.extensions["notAssignablePackages"] == [offending]


@pytest.mark.parametrize(
    ("packages", "offending"),
    [
        pytest.param([SKATT], SKATT, id="skattnaering"),
        pytest.param([REGNSKAP], REGNSKAP, id="regnskap"),
        pytest.param([LONN, SKATT], SKATT, id="mixed"),
    ],
)
def test_assignable_package_in_agent_request(
    packages: list[str], offending: str, system: SystemDescription, world: World
) -> None:
    problem = expect_problem(agent(accessPackages=[pkg(p) for p in packages]), system, world)
    assert (problem.status, problem.code) == (400, "AUTH-00065")
    assert problem.extensions["notDelegablePackages"] == [offending]


def test_right_with_two_resource_attributes_is_refused(system: SystemDescription, world: World) -> None:
    two = {
        "resource": [
            {"id": "urn:altinn:resource", "value": "nav-sykmelding"},
            {"id": "urn:altinn:resource", "value": "app_skd_mva-melding"},
        ]
    }
    problem = expect_problem(standard(rights=[two]), system, world)
    assert problem.status == 400
    assert problem.code == "AUTH.VLD-00009"

"""The system register's rules for partial changes, client ids, visibility and package flags."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.request_intake.domain.references import AccessPackageRef, ResourceAttribute, Right
from services.request_intake.domain.refusals import Refusal
from services.request_intake.domain.system_changes import (
    client_id_key,
    client_ids_in_use,
    client_ids_taken,
    holds_client_id,
    packages_change,
    rights_change,
)
from services.request_intake.domain.systems import RegisteredSystem, SystemSpec, validate_system
from services.request_intake.handlers.problems import problem_for
from shared import events as ev
from shared.world import RESOURCE_ATTRIBUTE, World, load_world

SMARTCLOUD = "314000110"
FLINK = "313222225"
PKG = "urn:altinn:accesspackage:"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


def seeded(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(load_world().systems[0])
    raw.update(changes)
    return raw


def stored(**changes: Any) -> RegisteredSystem:
    spec = SystemSpec.model_validate(seeded(**changes))
    return RegisteredSystem(spec=spec, vendor_org_no=SMARTCLOUD, created=T0, updated=T0)


def right(resource_id: str) -> Right:
    return Right(resource=(ResourceAttribute(id=RESOURCE_ATTRIBUTE, value=resource_id),))


def refusal_code(call: Any) -> tuple[int, str | None]:
    with pytest.raises(Refusal) as caught:
        call()
    problem = problem_for(caught.value)
    return problem.status, problem.code


# --- isVisible and package flags --------------------------------------------------------------


def test_is_visible_defaults_to_true_as_in_altinn() -> None:
    raw = seeded(accessPackages=[{"urn": PKG + "skattnaering"}])
    del raw["isVisible"]
    assert SystemSpec.model_validate(raw).is_visible is True


def test_a_system_without_is_visible_cannot_hold_client_packages(world: World) -> None:
    raw = seeded()
    del raw["isVisible"]
    spec = SystemSpec.model_validate(raw)
    assert refusal_code(lambda: validate_system(spec, SMARTCLOUD, world)) == (400, "AUTH.VLD-00018")


def test_the_world_has_a_package_that_is_neither_assignable_nor_delegable(world: World) -> None:
    package = world.package(PKG + "eksplisitt")
    assert package is not None
    assert (package.assignable, package.delegable) == (False, False)


@pytest.mark.parametrize("visible", [True, False])
def test_a_package_neither_assignable_nor_delegable_is_refused(visible: bool, world: World) -> None:
    spec = SystemSpec.model_validate(seeded(isVisible=visible, accessPackages=[{"urn": PKG + "eksplisitt"}]))
    assert refusal_code(lambda: validate_system(spec, SMARTCLOUD, world)) == (400, "AUTH.VLD-00008")


# --- rights and packages changes --------------------------------------------------------------


def test_rights_change_replaces_only_the_rights(world: World) -> None:
    existing = stored()
    applied = rights_change(existing, [right("nav-sykmelding")], SMARTCLOUD, world, LATER)
    system = applied.record
    assert [r.resource[0].value for r in system.spec.rights] == ["nav-sykmelding"]
    assert system.spec.model_copy(update={"rights": existing.spec.rights}) == existing.spec
    assert (system.created, system.updated) == (T0, LATER)
    assert isinstance(applied.event, ev.SystemUpdated)
    assert applied.event.system.rights == ("nav-sykmelding",)
    assert applied.also == ()


def test_rights_can_be_emptied(world: World) -> None:
    applied = rights_change(stored(), [], SMARTCLOUD, world, LATER)
    assert applied.record.spec.rights == ()


@pytest.mark.parametrize(
    ("rights", "code"),
    [
        pytest.param([right("no-such-resource")], "AUTH.VLD-00003", id="unknown"),
        pytest.param([right("nav-sykmelding"), right("nav-sykmelding")], "AUTH.VLD-00006", id="duplicate"),
    ],
)
def test_rights_change_is_checked_as_at_registration(rights: list[Right], code: str, world: World) -> None:
    assert refusal_code(lambda: rights_change(stored(), rights, SMARTCLOUD, world, LATER)) == (400, code)


def test_packages_change_replaces_only_the_packages(world: World) -> None:
    existing = stored()
    packages = [AccessPackageRef(urn=PKG + "ansvarlig-revisor")]
    applied = packages_change(existing, packages, SMARTCLOUD, world, LATER)
    assert applied.record.spec.access_packages == tuple(packages)
    assert applied.record.spec.rights == existing.spec.rights
    assert applied.event.system.access_packages == (PKG + "ansvarlig-revisor",)


@pytest.mark.parametrize(
    ("visible", "urn", "code"),
    [
        pytest.param(False, PKG + "eksplisitt", "AUTH.VLD-00008", id="neither-flag"),
        pytest.param(False, PKG + "nope", "AUTH.VLD-00008", id="unknown"),
        pytest.param(True, PKG + "regnskapsforer-lonn", "AUTH.VLD-00018", id="client-package-on-visible"),
    ],
)
def test_packages_change_is_checked_against_the_systems_visibility(
    visible: bool, urn: str, code: str, world: World
) -> None:
    existing = stored(isVisible=visible, accessPackages=[{"urn": PKG + "skattnaering"}])
    packages = [AccessPackageRef(urn=urn)]
    assert refusal_code(lambda: packages_change(existing, packages, SMARTCLOUD, world, LATER)) == (400, code)


def test_duplicate_packages_are_refused(world: World) -> None:
    packages = [AccessPackageRef(urn=PKG + "skattnaering")] * 2
    assert refusal_code(lambda: packages_change(stored(), packages, SMARTCLOUD, world, LATER)) == (
        400,
        "AUTH.VLD-00007",
    )


def test_only_the_vendor_changes_its_system(world: World) -> None:
    assert refusal_code(lambda: rights_change(stored(), [], FLINK, world, LATER)) == (403, "AUTH-00011")


# --- client ids -------------------------------------------------------------------------------


def test_client_ids_are_compared_ignoring_case() -> None:
    assert client_id_key("AbC-1") == client_id_key("abc-1")


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        pytest.param({}, (), id="free"),
        pytest.param({"a": "314000110_mine"}, (), id="held-by-this-system"),
        pytest.param({"a": "314000110_other"}, ("A",), id="held-by-another"),
        pytest.param({"a": None, "b": "314000110_other"}, ("b",), id="one-of-two"),
    ],
)
def test_client_ids_in_use(owners: dict[str, str | None], expected: tuple[str, ...]) -> None:
    assert client_ids_in_use(("A", "b"), owners, "314000110_mine") == expected


def test_a_taken_client_id_is_altinns_vld_00004() -> None:
    problem = problem_for(client_ids_taken(("abc",)))
    assert (problem.status, problem.code) == (400, "AUTH.VLD-00004")
    assert "abc" in (problem.detail or "")


def test_only_a_live_system_that_lists_a_client_id_holds_it() -> None:
    system = stored(clientId=["Client-A"])
    assert holds_client_id(system, client_id_key("client-a"))
    assert not holds_client_id(system, client_id_key("client-b"))
    assert not holds_client_id(system.model_copy(update={"is_deleted": True}), client_id_key("client-a"))
    assert not holds_client_id(None, client_id_key("client-a"))

"""Who may decide, table-tested against the cast."""

from __future__ import annotations

import pytest

from services.approval.domain.authorization import Capability, Relation, assess
from shared.events import RequestType
from shared.world import load_world

WORLD = load_world()
ALL_RIGHTS = ("ske-krav-og-betalinger", "app_skd_mva-melding", "nav-sykmelding")
STANDARD_PACKAGES = (
    "urn:altinn:accesspackage:skattnaering",
    "urn:altinn:accesspackage:regnskap-okonomi-rapport",
)
CLIENT_PACKAGES = (
    "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
    "urn:altinn:accesspackage:regnskapsforer-lonn",
)


def relation_of(pid: str, org_no: str) -> Relation | None:
    for rel in WORLD.roles:
        if rel.pid == pid and rel.org_no == org_no:
            return Relation(frozenset(rel.roles), frozenset(rel.rights), frozenset(rel.access_packages))
    return None


CASES = [
    # person, party, request type, rights, packages, expected capability
    ("12887010186", "310614289", RequestType.STANDARD, ALL_RIGHTS, STANDARD_PACKAGES, Capability.DECIDE),
    ("03897610069", "310614289", RequestType.STANDARD, ALL_RIGHTS, STANDARD_PACKAGES, Capability.DECIDE),
    ("05816510068", "310614289", RequestType.STANDARD, ("ske-krav-og-betalinger",), (), Capability.ESCALATE),
    (
        "05816510068",
        "310614289",
        RequestType.STANDARD,
        ("nav-sykmelding",),
        STANDARD_PACKAGES,
        Capability.DECIDE,
    ),
    ("05816510068", "310614289", RequestType.AGENT, (), CLIENT_PACKAGES, Capability.DECIDE),
    ("21927110056", "310614289", RequestType.STANDARD, ("nav-sykmelding",), (), Capability.ESCALATE),
    ("21927110056", "310614289", RequestType.AGENT, (), CLIENT_PACKAGES, Capability.ESCALATE),
    ("24859010020", "310614289", RequestType.STANDARD, ALL_RIGHTS, (), Capability.NONE),
    ("24859010020", "310614289", RequestType.AGENT, (), CLIENT_PACKAGES, Capability.NONE),
    ("12887010186", "313222225", RequestType.STANDARD, ALL_RIGHTS, (), Capability.NONE),
    ("17848310182", "313222225", RequestType.AGENT, (), CLIENT_PACKAGES, Capability.DECIDE),
    ("17848310182", "313222225", RequestType.STANDARD, ALL_RIGHTS, STANDARD_PACKAGES, Capability.DECIDE),
    ("17848310182", "310614289", RequestType.AGENT, (), CLIENT_PACKAGES, Capability.NONE),
    ("12887010186", "310614289", RequestType.AGENT, (), CLIENT_PACKAGES, Capability.DECIDE),
    ("12887010186", "310614289", RequestType.STANDARD, (), CLIENT_PACKAGES, Capability.ESCALATE),
]


@pytest.mark.parametrize(("pid", "party", "kind", "rights", "packages", "expected"), CASES)
def test_capability_table(
    pid: str,
    party: str,
    kind: RequestType,
    rights: tuple[str, ...],
    packages: tuple[str, ...],
    expected: Capability,
) -> None:
    assert assess(relation_of(pid, party), kind, rights, packages).capability is expected


def test_missing_items_are_named() -> None:
    verdict = assess(
        relation_of("05816510068", "310614289"), RequestType.STANDARD, ALL_RIGHTS, CLIENT_PACKAGES[:1]
    )
    assert verdict.missing_rights == ("ske-krav-og-betalinger",)
    assert verdict.missing_packages == CLIENT_PACKAGES[:1]


@pytest.mark.parametrize("role", ["tilgangsstyrer", "hovedadministrator", "daglig-leder"])
def test_each_access_manager_role_may_decide(role: str) -> None:
    relation = Relation(frozenset({role}), frozenset(ALL_RIGHTS), frozenset())
    assert assess(relation, RequestType.STANDARD, ALL_RIGHTS, ()).capability is Capability.DECIDE


def test_client_administrator_alone_is_not_an_access_manager() -> None:
    relation = Relation(frozenset({"klientadministrator"}), frozenset(ALL_RIGHTS), frozenset())
    assert assess(relation, RequestType.AGENT, (), CLIENT_PACKAGES).capability is Capability.ESCALATE

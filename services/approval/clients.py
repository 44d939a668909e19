"""Which organisations may become clients of a client system access: pure rules.

A client qualifies when it has a client relationship with the facilitator (regnskapsfører,
revisor, forretningsfører, or a manual grant) through which it has given the facilitator
*all* of the system access's packages.
"""

from __future__ import annotations

from dataclasses import dataclass

from .authorization import package_name


@dataclass(frozen=True)
class ClientRelationship:
    client_org_no: str
    relation: str
    packages: frozenset[str]  # package names


@dataclass(frozen=True)
class Candidate:
    org_no: str
    relation: str
    missing_packages: tuple[str, ...]

    @property
    def addable(self) -> bool:
        return not self.missing_packages


def candidates(access_packages: tuple[str, ...], relationships: list[ClientRelationship]) -> list[Candidate]:
    """Every related organisation, addable or not, with the packages it has not given."""
    wanted = [package_name(urn) for urn in access_packages]
    found = []
    for rel in sorted(relationships, key=lambda r: r.client_org_no):
        missing = tuple(p for p in wanted if p not in rel.packages)
        found.append(Candidate(rel.client_org_no, rel.relation, missing))
    return found


@dataclass(frozen=True)
class ClientRefusal:
    code: str
    detail: str
    org_nos: tuple[str, ...]


def check_clients(
    wanted: list[str], access_packages: tuple[str, ...], relationships: list[ClientRelationship]
) -> ClientRefusal | None:
    """All-or-nothing: refuse the whole batch when any client does not qualify."""
    by_org = {c.org_no: c for c in candidates(access_packages, relationships)}
    unknown = tuple(org for org in wanted if org not in by_org)
    if unknown:
        return ClientRefusal("AUTH-00079", "Client not found among the facilitator's clients", unknown)
    lacking = tuple(org for org in wanted if not by_org[org].addable)
    if lacking:
        detail = "; ".join(f"{org} lacks {', '.join(by_org[org].missing_packages)}" for org in lacking)
        return ClientRefusal("AUTH-00080", f"Client does not have the access packages: {detail}", lacking)
    return None

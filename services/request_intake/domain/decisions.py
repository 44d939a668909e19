"""Authorization decisions for system users: may this system user do this action on this resource
for this organisation? Permit or Deny, always with the reason.

- A standard system user acts for its own party only. It may do what a right it was granted, or
  a package it holds, contains.
- A client (agent) system user acts for a client that is added to it now, and only within the
  packages that client delegated to the facilitator (and the system user holds). When the
  facilitator is added as its own client (Altinn's "self"), it acts for itself with its packages.
- What a package contains is the ``resources`` of the package in the world file; a package
  that lists none is treated as containing nothing, and the decision says so.

The world file has no per-action policies: a right or a package grants every known action on
its resources.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from shared import events as ev
from shared.world import PACKAGE_URN_PREFIX, ClientRelationship, World

from .accesses import SystemAccess

__all__ = [
    "ACTIONS",
    "RESOURCE_URN_PREFIX",
    "Decision",
    "Verdict",
    "decide",
    "deny_invalid_token",
    "resource_id",
]

ACTIONS = frozenset({"read", "write", "sign", "access"})
RESOURCE_URN_PREFIX = "urn:altinn:resource:"


class Verdict(StrEnum):
    PERMIT = "Permit"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    code: str
    """Why, for programs: granted_right, granted_package, granted_client_package, invalid_token,
    unknown_system_user, deleted, system_deleted, unknown_action, unknown_resource, other_party,
    not_a_client, no_client_relationship, outside_client_packages, not_granted."""
    reason: str
    """Why, for people."""
    system_user_id: str | None = None
    granted_by: str | None = None
    """The right (resource id) or the package URN that grants it, on Permit."""
    notes: tuple[str, ...] = field(default=())
    """Packages whose contents are unknown, and so treated as empty."""


def resource_id(resource: str) -> str:
    """A resource as ``ske-krav-og-betalinger`` or ``urn:altinn:resource:ske-krav-og-betalinger``."""
    return resource.removeprefix(RESOURCE_URN_PREFIX)


def _deny(code: str, reason: str, access_id: str | None, notes: Sequence[str] = ()) -> Decision:
    return Decision(Verdict.DENY, code, reason, access_id, None, tuple(notes))


def deny_invalid_token(why: str) -> Decision:
    return _deny("invalid_token", f"The system-user token is not valid: {why}", None)


def _package_name(urn: str) -> str:
    return urn.removeprefix(PACKAGE_URN_PREFIX)


def _package_with(packages: Sequence[str], resource: str, world: World) -> tuple[str | None, list[str]]:
    """The first package that contains ``resource``, and notes on packages whose contents are unknown."""
    notes: list[str] = []
    found: str | None = None
    for urn in packages:
        package = world.package(urn)
        if package is None or not package.resources:
            notes.append(
                f"The package {urn} lists no resources in the world file: treated as containing nothing"
            )
            continue
        if found is None and resource in package.resources:
            found = urn
    return found, notes


def _client_relationship(world: World, facilitator: str, client: str) -> ClientRelationship | None:
    return next(
        (
            r
            for r in world.client_relationships
            if r.facilitator_org_no == facilitator and r.client_org_no == client
        ),
        None,
    )


def decide(
    access: SystemAccess | None,
    *,
    system_user_id: str,
    system_live: bool,
    clients: Collection[str],
    world: World,
    resource: str,
    action: str,
    organisation: str,
) -> Decision:
    """Permit exactly when the system user holds the right, directly or through a package."""
    if access is None:
        return _deny("unknown_system_user", f"There is no system user {system_user_id}", system_user_id)
    if access.is_deleted:
        return _deny("deleted", f"The system user {access.id} was deleted: it holds no rights", access.id)
    if not system_live:
        return _deny(
            "system_deleted", f"The system {access.system_id} is no longer in the system register", access.id
        )
    if action not in ACTIONS:
        return _deny(
            "unknown_action", f"Unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}", access.id
        )
    resource = resource_id(resource)
    if world.resource(resource) is None:
        return _deny(
            "unknown_resource", f"There is no resource {resource!r} in the resource register", access.id
        )
    if access.request_type is ev.RequestType.AGENT:
        return _for_client(access, clients, world, resource, action, organisation)
    return _for_party(access, world, resource, action, organisation)


def _for_party(access: SystemAccess, world: World, resource: str, action: str, organisation: str) -> Decision:
    party = access.party_org_no
    if organisation != party:
        return _deny(
            "other_party",
            f"The system user {access.id} acts for {party} only, not for {organisation}",
            access.id,
        )
    if resource in access.rights:
        return Decision(
            Verdict.PERMIT,
            "granted_right",
            f"{party} granted the system user the right {resource}, which allows {action}",
            access.id,
            resource,
        )
    package, notes = _package_with(access.access_packages, resource, world)
    if package is not None:
        return Decision(
            Verdict.PERMIT,
            "granted_package",
            f"{party} granted the system user the package {package}, which contains {resource}",
            access.id,
            package,
            tuple(notes),
        )
    held = ", ".join((*access.rights, *access.access_packages)) or "nothing"
    return _deny(
        "not_granted",
        f"{resource} was never granted to the system user: neither as a right nor in a package "
        f"(it holds {held})",
        access.id,
        notes,
    )


def _for_client(
    access: SystemAccess,
    clients: Collection[str],
    world: World,
    resource: str,
    action: str,
    organisation: str,
) -> Decision:
    facilitator = access.party_org_no
    if organisation not in clients:
        return _deny(
            "not_a_client",
            f"{organisation} is not a client of the system user {access.id} now (never added, or removed)",
            access.id,
        )
    if organisation == facilitator:
        delegated = list(access.access_packages)  # added as its own client ("self")
        via = f"{facilitator} added itself as a client and holds"
    else:
        relationship = _client_relationship(world, facilitator, organisation)
        if relationship is None:
            return _deny(
                "no_client_relationship",
                f"{organisation} has no client relationship with {facilitator}",
                access.id,
            )
        given = set(relationship.access_packages)
        delegated = [p for p in access.access_packages if _package_name(p) in given]
        via = f"{organisation} delegated to {facilitator}"
    package, notes = _package_with(delegated, resource, world)
    if package is not None:
        return Decision(
            Verdict.PERMIT,
            "granted_client_package",
            f"{via} the package {package}, which contains {resource} ({action} for {organisation})",
            access.id,
            package,
            tuple(notes),
        )
    withheld = [p for p in access.access_packages if p not in delegated]
    outside, more = _package_with(withheld, resource, world)
    notes += [n for n in more if n not in notes]
    if outside is not None:
        return _deny(
            "outside_client_packages",
            f"{resource} is only in the package {outside}, which {organisation} has not delegated "
            f"to {facilitator}",
            access.id,
            notes,
        )
    return _deny(
        "not_granted",
        f"{resource} is in none of the system user's packages "
        f"({', '.join(access.access_packages) or 'none'})",
        access.id,
        notes,
    )

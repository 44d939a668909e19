"""Who may decide a request: pure rules, table-tested, used by the page and re-checked by the worker."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.events import RequestType

ACCESS_MANAGER_ROLES = frozenset({"tilgangsstyrer", "hovedadministrator", "daglig-leder"})
CLIENT_ADMIN_ROLES = frozenset({"klientadministrator", "daglig-leder"})


@dataclass(frozen=True)
class Relation:
    """What one person holds for one organisation."""

    roles: frozenset[str] = frozenset()
    rights: frozenset[str] = frozenset()
    packages: frozenset[str] = frozenset()  # package names, without the URN prefix

    @property
    def is_access_manager(self) -> bool:
        return bool(self.roles & ACCESS_MANAGER_ROLES)

    @property
    def is_client_admin(self) -> bool:
        return bool(self.roles & CLIENT_ADMIN_ROLES)


class Capability(StrEnum):
    DECIDE = "decide"  # approve or reject
    ESCALATE = "escalate"  # related to the party, but may not decide
    NONE = "none"  # no relation: may not see the request


@dataclass(frozen=True)
class Verdict:
    capability: Capability
    missing_rights: tuple[str, ...] = ()
    missing_packages: tuple[str, ...] = ()
    reason: str = ""


def package_name(urn: str) -> str:
    return urn.rsplit(":", 1)[-1]


def assess(
    relation: Relation | None,
    request_type: RequestType,
    rights: tuple[str, ...],
    packages: tuple[str, ...],
) -> Verdict:
    """What a person with ``relation`` to the request's party may do with the request."""
    if relation is None:
        return Verdict(Capability.NONE, reason="no relation to the organisation")
    if not relation.is_access_manager:
        return Verdict(Capability.ESCALATE, reason="not an access manager of the organisation")
    if request_type is RequestType.AGENT:
        return Verdict(Capability.DECIDE)
    missing_rights = tuple(r for r in rights if r not in relation.rights)
    missing_packages = tuple(p for p in packages if package_name(p) not in relation.packages)
    if missing_rights or missing_packages:
        return Verdict(
            Capability.ESCALATE,
            missing_rights=missing_rights,
            missing_packages=missing_packages,
            reason="lacks some of the requested rights or packages",
        )
    return Verdict(Capability.DECIDE)

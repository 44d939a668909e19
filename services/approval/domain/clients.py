"""Which organisations may become clients of a client system access: pure rules.

A client qualifies when it has a client relationship with the facilitator (regnskapsfører,
revisor, forretningsfører, or a manual grant) through which it has given the facilitator
*all* of the system access's packages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared import events as ev

from .authorization import Relation, package_name
from .history import HistoryEntry, history_of
from .models import SystemAccess
from .refusals import Refusal, RefusalReason


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


def check_clients(
    wanted: list[str], access_packages: tuple[str, ...], relationships: list[ClientRelationship]
) -> Refusal | None:
    """All-or-nothing: refuse the whole batch when any client does not qualify."""
    by_org = {c.org_no: c for c in candidates(access_packages, relationships)}
    title = "Client cannot be added"
    unknown = tuple(org for org in wanted if org not in by_org)
    if unknown:
        detail = "Client not found among the facilitator's clients"
        return Refusal("AUTH-00079", detail, title=title, clients=unknown)
    lacking = tuple(org for org in wanted if not by_org[org].addable)
    if lacking:
        detail = "; ".join(f"{org} lacks {', '.join(by_org[org].missing_packages)}" for org in lacking)
        detail = f"Client does not have the access packages: {detail}"
        return Refusal("AUTH-00080", detail, title=title, clients=lacking)
    return None


OWN_ORGANISATION = "self"


def own_organisation(
    facilitator_org_no: str, access_packages: tuple[str, ...], assignable: frozenset[str]
) -> Candidate:
    """The facilitator as a client of its own system access (Altinn's ``self``).

    It gives the system the organisation's own packages, so every package must be one an
    organisation holds itself (assignable); client packages (regnskapsfører, revisor, ...)
    exist only in a relationship with another organisation.
    """
    not_own = tuple(p for urn in access_packages if (p := package_name(urn)) not in assignable)
    return Candidate(facilitator_org_no, OWN_ORGANISATION, not_own)


def check_own(candidate: Candidate, relation: Relation | None) -> Refusal | None:
    """Only an access manager may delegate the organisation's own packages, as in Altinn."""
    if relation is None or not relation.is_access_manager:
        detail = "Only an access manager of the facilitator may add its own organisation"
        return Refusal("AUTH-00066", detail, RefusalReason.FORBIDDEN, title="Forbidden")
    if not candidate.addable:
        detail = (
            f"Client packages an organisation cannot give itself: {', '.join(candidate.missing_packages)}"
        )
        return Refusal(
            "AUTH-00064", detail, title="Own organisation cannot be added", clients=(candidate.org_no,)
        )
    return None


MAX_BATCH = 1000


def batch(org_nos: list[str]) -> list[str] | Refusal:
    """One call's clients, without repeats; at least one and at most MAX_BATCH."""
    unique = list(dict.fromkeys(org_nos))
    if not unique:
        return Refusal("AUTH.VLD-CLIENTS", title="No clients given")
    if len(unique) > MAX_BATCH:
        return Refusal("AUTH.VLD-CLIENTS", f"At most {MAX_BATCH} in one call", title="Too many clients")
    return unique


def not_current(wanted: list[str], current: frozenset[str]) -> Refusal | None:
    """Removing clients that are not there is refused as a whole."""
    unknown = tuple(org for org in wanted if org not in current)
    if not unknown:
        return None
    return Refusal(
        "AUTH-00079",
        f"Not a client of this system access: {', '.join(unknown)}",
        RefusalReason.NOT_FOUND,
        title="Client not found",
        clients=unknown,
    )


@dataclass(frozen=True)
class ClientChanges:
    """What one add or remove call actually changes, and the one event per actual change."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    events: tuple[ev.ClientAdded | ev.ClientRemoved, ...]

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        return history_of(*self.events)


def change_clients(
    access: SystemAccess | None,
    current: frozenset[str],
    *,
    add: list[str],
    remove: list[str],
    actor_pid: str,
) -> ClientChanges:
    """Adding a present client or removing an absent one changes nothing and emits nothing."""
    if access is None or access.deleted:
        return ClientChanges((), (), ())
    added = tuple(sorted({c for c in add if c not in current}))
    removed = tuple(sorted({c for c in remove if c in current}))
    access_id = uuid.UUID(access.id)
    events: list[ev.ClientAdded | ev.ClientRemoved] = [
        ev.ClientAdded(
            system_access_id=access_id,
            system_id=access.system_id,
            vendor_org_no=access.vendor_org_no,
            facilitator_org_no=access.party_org_no,
            client_org_no=c,
            added_by=actor_pid,
        )
        for c in added
    ]
    events += [
        ev.ClientRemoved(
            system_access_id=access_id,
            system_id=access.system_id,
            vendor_org_no=access.vendor_org_no,
            facilitator_org_no=access.party_org_no,
            client_org_no=c,
            removed_by=actor_pid,
        )
        for c in removed
    ]
    return ClientChanges(added, removed, tuple(events))

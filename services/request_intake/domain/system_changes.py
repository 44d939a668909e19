"""Changes to a registered system beyond a full replace, and the register's record of every change.

- ``rights_change`` and ``packages_change``: the vendor replaces only a system's rights or only
  its access packages (Altinn's ``PUT systemregister/vendor/{id}/rights`` and
  ``/accesspackages``). The changed system is checked as a whole, exactly as at registration,
  so a change can never leave the register holding a system it would refuse.
- ``SystemChange``: one entry of a system's change log (Altinn's ``SystemChangeLog``): who
  changed it (the vendor's organisation and Maskinporten client), when, what kind of change,
  and the data the change set. Storage appends it in the same transaction as the change.
- ``client_ids_in_use``: a Maskinporten client id names one live system (Altinn's
  ``AUTH.VLD-00004``); storage applies the rule to the index it reads under WATCH.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared import events as ev
from shared.world import World

from .applied import Applied
from .references import AccessPackageRef, Right, system_invalid
from .refusals import Refusal
from .systems import RegisteredSystem, SystemSpec, validate_system

__all__ = [
    "MAX_CHANGELOG_ENTRIES",
    "ChangeType",
    "SystemChange",
    "change_of",
    "client_id_key",
    "client_ids_in_use",
    "client_ids_taken",
    "holds_client_id",
    "packages_change",
    "rights_change",
]

MAX_CHANGELOG_ENTRIES = 1000
"""How many of a system's latest changes its log keeps (PUT is not rate limited; the log must not
grow without bound)."""


class ChangeType(StrEnum):
    """Altinn's ``SystemChangeType``, as it writes it in JSON."""

    CREATE = "create"
    UPDATE = "update"
    RIGHTS_UPDATE = "rightsupdate"
    ACCESS_PACKAGE_UPDATE = "accesspackageupdate"
    DELETE = "delete"


class SystemChange(BaseModel):
    """One entry of a system's change log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system_id: str
    change_type: ChangeType
    changed_by_org_no: str
    client_id: str | None = None
    """The Maskinporten client of the token that made the change, when the token names one."""
    changed_data: Any = None
    """What the change set, in the vendor API's JSON: the whole system on create and update,
    the rights or the packages on their changes, nothing on delete."""
    created: datetime


def change_of(
    system: RegisteredSystem,
    change_type: ChangeType,
    *,
    by_org: str,
    client_id: str | None,
    changed_data: Any = None,
) -> SystemChange:
    """The log entry of a change whose result is ``system`` (its ``updated`` is when it happened)."""
    return SystemChange(
        system_id=system.id,
        change_type=change_type,
        changed_by_org_no=by_org,
        client_id=client_id,
        changed_data=changed_data,
        created=system.updated,
    )


def _changed(
    existing: RegisteredSystem, spec: SystemSpec, caller_org: str, world: World, now: datetime
) -> Applied[RegisteredSystem, ev.SystemUpdated]:
    # The webhook URL is not what changes here: a URL accepted at registration is not refused
    # because today's rules differ (the notifier checks it again when it sends).
    description = validate_system(spec, caller_org, world, path_id=existing.id, check_webhook=False)
    system = existing.model_copy(update={"spec": spec, "updated": now})
    return Applied(system, ev.SystemUpdated(system=description))


def rights_change(
    existing: RegisteredSystem, rights: Sequence[Right], caller_org: str, world: World, now: datetime
) -> Applied[RegisteredSystem, ev.SystemUpdated]:
    """The system with ``rights`` instead of its rights; everything else stays."""
    return _changed(
        existing, existing.spec.model_copy(update={"rights": tuple(rights)}), caller_org, world, now
    )


def packages_change(
    existing: RegisteredSystem,
    packages: Sequence[AccessPackageRef],
    caller_org: str,
    world: World,
    now: datetime,
) -> Applied[RegisteredSystem, ev.SystemUpdated]:
    """The system with ``packages`` instead of its access packages, checked against its own
    ``isVisible`` (a visible system holds no client packages)."""
    spec = existing.spec.model_copy(update={"access_packages": tuple(packages)})
    return _changed(existing, spec, caller_org, world, now)


def client_id_key(client_id: str) -> str:
    """The form a client id is compared in: Altinn compares client ids ignoring case."""
    return client_id.casefold()


def client_ids_in_use(
    client_ids: Sequence[str], owners: Mapping[str, str | None], system_id: str
) -> tuple[str, ...]:
    """The client ids of ``system_id`` that another live system already lists.

    ``owners`` maps each ``client_id_key`` to the id of the system that holds it, or None.
    """
    return tuple(c for c in client_ids if owners.get(client_id_key(c)) not in (None, system_id))


def holds_client_id(system: RegisteredSystem | None, key: str) -> bool:
    """Whether ``system`` is live and lists the client id whose ``client_id_key`` is ``key``.

    The index of client ids is checked against this before it refuses one: an entry left by a
    system that is gone no longer holds anything."""
    return (
        system is not None
        and not system.is_deleted
        and any(client_id_key(c) == key for c in system.spec.client_id)
    )


def client_ids_taken(client_ids: Sequence[str]) -> Refusal:
    return system_invalid(4, f"Client ids already used by another system: {', '.join(client_ids)}")

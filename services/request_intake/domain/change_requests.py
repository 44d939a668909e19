"""Change requests: a vendor asks a party to change the rights and packages of a live access.

Altinn's ``systemuser/changerequest``. The vendor names what the access must hold
(``requiredRights``, ``requiredAccessPackages``) and must not hold (``unwanted...``); the
vendor's correlation id is the change request's id, so a repeated POST finds the same one.
When the access already is as asked, the answer is ``NoChangeNeeded`` and nothing is stored.
The approval service owns the outcome (Accepted, Rejected, Timedout); intake mirrors it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from shared import events as ev
from shared.access_changes import AccessChange, apply_change, change_of
from shared.world import World

from .accesses import SystemAccess
from .applied import Applied
from .paging import PageCursor
from .references import AccessPackageRef, Right, UrlText, package_urns, right_ids
from .refusals import Refusal, RefusalKind, Refusals
from .request_specs import _check_in_system, _check_package_kinds, _check_redirect

__all__ = [
    "ChangeRequest",
    "ChangeRequestSpec",
    "ChangeRequestStatus",
    "ChangeRequestTransition",
    "ChangeSlice",
    "CheckedChange",
    "accept_change",
    "change_request_not_found",
    "change_withdrawal",
    "check_change",
    "check_correlation",
    "new_change_request",
    "no_change_needed",
    "reject_change",
    "seen_change_at",
    "time_out_change",
    "visible_change_request",
]

ChangeRequestStatus = Literal["New", "Accepted", "Rejected", "Denied", "Timedout", "NoChangeNeeded"]

_Rights = Annotated[tuple[Right, ...], Field(max_length=100)]
_Packages = Annotated[tuple[AccessPackageRef, ...], Field(max_length=100)]


class ChangeRequestSpec(BaseModel):
    """The body of ``POST systemuser/changerequest/vendor``."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid")

    required_rights: _Rights | None = None
    unwanted_rights: _Rights | None = None
    required_access_packages: _Packages | None = None
    unwanted_access_packages: _Packages | None = None
    redirect_url: UrlText | None = None

    @field_validator("redirect_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # Altinn reads "" as "no redirect".
        return None if value == "" else value


class ChangeRequest(BaseModel):
    """A change request as intake keeps it for the vendor to read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    system_user_id: str
    request_type: ev.RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    required_rights: tuple[str, ...] = ()
    unwanted_rights: tuple[str, ...] = ()
    required_access_packages: tuple[str, ...] = ()
    unwanted_access_packages: tuple[str, ...] = ()
    redirect_url: str | None = None
    status: ChangeRequestStatus = "New"
    created: datetime
    expires_at: datetime
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class CheckedChange:
    """A vendor's change request after the rules: what it names, and what it changes now."""

    required_rights: tuple[str, ...]
    unwanted_rights: tuple[str, ...]
    required_packages: tuple[str, ...]
    unwanted_packages: tuple[str, ...]
    change: AccessChange


@dataclass(frozen=True, slots=True)
class ChangeSlice:
    """One page of a system's change requests, and where the next starts (None on the last)."""

    change_requests: tuple[ChangeRequest, ...]
    next: PageCursor | None


def _invalid(code: str, title: str, detail: str, *paths: str, **details: str | list[str]) -> Refusal:
    return Refusal(RefusalKind.INVALID, code, title, detail, details, paths=paths)


def change_request_not_found() -> Refusal:
    return Refusal(RefusalKind.NOT_FOUND, "AUTH-00010", "Change request not found")


def check_correlation(correlation_id: str, system_user_id: str) -> tuple[str, str]:
    """Both ids as canonical UUIDs; they must differ (Altinn: the correlation id becomes the id)."""
    try:
        change_id, access_id = str(UUID(correlation_id)), str(UUID(system_user_id))
    except ValueError as exc:
        raise _invalid("AUTH-00000", "Invalid id", "correlation-id and system-user-id must be UUIDs") from exc
    if change_id == access_id:
        raise _invalid(
            "AUTH-00000", "Invalid correlation-id", "correlation-id must differ from system-user-id"
        )
    return change_id, access_id


def check_change(
    spec: ChangeRequestSpec, access: SystemAccess, system: ev.SystemDescription, world: World
) -> CheckedChange:
    """Check a change request against its access and system; what it names and what it changes.

    Required items must be the system's and of the access's kind (client packages for an agent
    access, which holds no single rights); unwanted ones are only removed, so they are not
    checked against the system (as in Altinn). An item both required and unwanted is refused,
    and so is a change that would leave the access holding nothing (deleting is the party's call).
    """
    refusals = Refusals()
    redirect_url = spec.redirect_url
    if redirect_url is not None:
        refusals.check(lambda: _check_redirect(redirect_url, system))
    is_agent = access.request_type is ev.RequestType.AGENT
    required_rights = right_ids(spec.required_rights or ())
    unwanted_rights = right_ids(spec.unwanted_rights or ())
    required_packages = package_urns(spec.required_access_packages or ())
    unwanted_packages = package_urns(spec.unwanted_access_packages or ())
    if is_agent and required_rights:
        refusals.add(
            _invalid(
                "AUTH-00058",
                "Access packages only",
                "A client system user holds access packages only; requiredRights must be empty",
                "/requiredRights",
            )
        )
    _check_in_system(required_rights, required_packages, system, refusals)
    _check_package_kinds(required_packages, system, world, refusals, is_agent=is_agent)
    both = sorted(
        (set(required_rights) & set(unwanted_rights)) | (set(required_packages) & set(unwanted_packages))
    )
    if both:
        refusals.add(
            _invalid(
                "AUTH-00000",
                "Required and unwanted",
                "An item cannot be both required and unwanted",
                conflicting=both,
            )
        )
    refusals.raise_any()
    change = change_of(
        access.rights,
        access.access_packages,
        required_rights=required_rights,
        unwanted_rights=unwanted_rights,
        required_packages=required_packages,
        unwanted_packages=unwanted_packages,
    )
    rights_after, packages_after = apply_change(access.rights, access.access_packages, change)
    if not change.is_empty and not rights_after and not packages_after:
        raise _invalid(
            "AUTH-00059",
            "Nothing would remain",
            "The change would leave the system user with no rights or access packages",
        )
    return CheckedChange(required_rights, unwanted_rights, required_packages, unwanted_packages, change)


def _record(
    change_id: str,
    access: SystemAccess,
    checked: CheckedChange,
    spec: ChangeRequestSpec,
    now: datetime,
    ttl: timedelta,
    status: ChangeRequestStatus = "New",
) -> ChangeRequest:
    return ChangeRequest(
        id=change_id,
        system_user_id=access.id,
        request_type=access.request_type,
        system_id=access.system_id,
        vendor_org_no=access.vendor_org_no,
        party_org_no=access.party_org_no,
        external_ref=access.external_ref,
        required_rights=checked.required_rights,
        unwanted_rights=checked.unwanted_rights,
        required_access_packages=checked.required_packages,
        unwanted_access_packages=checked.unwanted_packages,
        redirect_url=spec.redirect_url,
        status=status,
        created=now,
        expires_at=now + ttl,
    )


def no_change_needed(
    change_id: str, access: SystemAccess, checked: CheckedChange, spec: ChangeRequestSpec, now: datetime
) -> ChangeRequest:
    """The answer when the access already is as asked: a record that is shown, never stored."""
    return _record(change_id, access, checked, spec, now, timedelta(0), status="NoChangeNeeded")


def new_change_request(
    change_id: str,
    access: SystemAccess,
    checked: CheckedChange,
    spec: ChangeRequestSpec,
    system: ev.SystemDescription,
    *,
    now: datetime,
    ttl: timedelta,
) -> Applied[ChangeRequest, ev.SystemAccessChangeRequested]:
    record = _record(change_id, access, checked, spec, now, ttl)
    event = ev.SystemAccessChangeRequested(
        change_request_id=uuid.UUID(record.id),
        system_access_id=uuid.UUID(access.id),
        request_type=record.request_type,
        system_id=record.system_id,
        system_name=system.name,
        vendor_org_no=record.vendor_org_no,
        party_org_no=record.party_org_no,
        external_ref=record.external_ref,
        required_rights=record.required_rights,
        unwanted_rights=record.unwanted_rights,
        required_access_packages=record.required_access_packages,
        unwanted_access_packages=record.unwanted_access_packages,
        redirect_url=record.redirect_url,
        created=record.created,
        expires_at=record.expires_at,
    )
    return Applied(record, event)


def seen_change_at(change: ChangeRequest, now: datetime) -> ChangeRequest:
    """As the vendor sees it at ``now``: a New change request past its expiry reads Timedout."""
    if change.status == "New" and change.expires_at <= now:
        return change.model_copy(update={"status": "Timedout"})
    return change


def visible_change_request(change: ChangeRequest | None, vendor_org: str) -> ChangeRequest:
    """The change request if this vendor made it and has not withdrawn it; else not found."""
    if change is None or change.withdrawn or change.vendor_org_no != vendor_org:
        raise change_request_not_found()
    return change


def change_withdrawal(
    change: ChangeRequest | None, vendor_org: str
) -> Applied[ChangeRequest, ev.ChangeRequestWithdrawn]:
    """The owning vendor deletes its change request; anyone else finds nothing."""
    found = visible_change_request(change, vendor_org)
    event = ev.ChangeRequestWithdrawn(
        change_request_id=uuid.UUID(found.id),
        system_access_id=uuid.UUID(found.system_user_id),
        system_id=found.system_id,
        vendor_org_no=found.vendor_org_no,
        party_org_no=found.party_org_no,
    )
    return Applied(found.model_copy(update={"withdrawn": True}), event)


# -- outcomes the approval service reports -------------------------------------------------------

ChangeRequestTransition = Callable[[ChangeRequest], ChangeRequest]
"""A pure change of a stored change request, such as ``accept_change``; storage applies it atomically."""


def accept_change(change: ChangeRequest) -> ChangeRequest:
    return change.model_copy(update={"status": "Accepted"})


# Denied is intake's own conclusion from the access's deletion; the outcome approval reached
# before the deletion replaces it, whichever of the two topics is read first.
REPLACEABLE: frozenset[ChangeRequestStatus] = frozenset({"New", "Denied"})


def reject_change(change: ChangeRequest) -> ChangeRequest:
    """Only a pending change request can be rejected or time out; an outcome is never undone."""
    return change.model_copy(update={"status": "Rejected"}) if change.status in REPLACEABLE else change


def time_out_change(change: ChangeRequest) -> ChangeRequest:
    return change.model_copy(update={"status": "Timedout"}) if change.status in REPLACEABLE else change


def deny_change(change: ChangeRequest) -> ChangeRequest | None:
    """The access a pending change request would alter was deleted: it can never be decided, so
    it is Denied (Altinn defines the status but never sets it). None means nothing changes."""
    if change.status != "New" or change.withdrawn:
        return None
    return change.model_copy(update={"status": "Denied"})

"""System accesses ("system users" in Altinn's API): what a party granted a vendor's system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared import events as ev

from .refusals import Refusal, RefusalKind
from .requests import NaturalKey

__all__ = [
    "Client",
    "SystemAccess",
    "access_from_event",
    "access_not_found",
    "mark_deleted",
    "vendors_access",
]


class SystemAccess(BaseModel):
    """An access the approval service created; intake keeps a copy for the vendor's lookups."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    request_type: ev.RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    integration_title: str
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()
    created: datetime
    is_deleted: bool = False

    @property
    def natural_key(self) -> NaturalKey:
        return NaturalKey(self.system_id, self.party_org_no, self.external_ref)


@dataclass(frozen=True, slots=True)
class Client:
    """A client organisation an agent access acts for; the name is None when it is not seeded."""

    org_no: str
    name: str | None


def access_from_event(event: ev.SystemAccessCreated) -> SystemAccess:
    return SystemAccess(
        id=str(event.system_access_id),
        request_type=event.request_type,
        system_id=event.system_id,
        vendor_org_no=event.vendor_org_no,
        party_org_no=event.party_org_no,
        external_ref=event.external_ref,
        integration_title=event.integration_title,
        rights=event.rights,
        access_packages=event.access_packages,
        created=event.approved_at,
    )


def mark_deleted(access: SystemAccess) -> SystemAccess:
    return access.model_copy(update={"is_deleted": True})


def access_not_found() -> Refusal:
    return Refusal(RefusalKind.NOT_FOUND, "AUTH-00015", "System user not found")


def vendors_access(access: SystemAccess | None, vendor_org: str) -> SystemAccess:
    """The live access if it belongs to this vendor's system; anything else is not found."""
    if access is None or access.is_deleted or access.vendor_org_no != vendor_org:
        raise access_not_found()
    return access

"""approval's records: a pending request, a system access, a decision's result.

Frozen pydantic models with the camelCase names they are stored under, so storage reads
and writes them whole and the rest of the service works on typed fields.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from shared.events import RequestType

__all__ = [
    "DecisionOutcome",
    "DecisionResult",
    "Record",
    "RequestStatus",
    "SystemAccess",
    "SystemAccessRequest",
]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)


class RequestStatus(StrEnum):
    NEW = "New"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    TIMED_OUT = "Timedout"
    WITHDRAWN = "Withdrawn"


class SystemAccessRequest(Record):
    """A vendor's request as approval knows it, from its arrival to its outcome."""

    id: str
    request_type: RequestType
    system_id: str
    system_name: dict[str, str] = {}
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    integration_title: str
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()
    redirect_url: str | None = None
    created: datetime
    expires_at: datetime
    status: RequestStatus = RequestStatus.NEW
    escalated: bool = False
    escalated_by: str | None = None
    escalated_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    def status_at(self, now: datetime) -> RequestStatus:
        """The status as the world sees it: a pending request past its time to live has timed out."""
        if self.status is RequestStatus.NEW and self.expires_at <= now:
            return RequestStatus.TIMED_OUT
        return self.status


class SystemAccess(Record):
    """An approved request: the vendor's system may act for the party (and, for agent, its clients)."""

    id: str
    request_type: RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    integration_title: str
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()
    created_by: str
    created: datetime
    deleted: bool = False
    deleted_by: str | None = None
    deleted_at: datetime | None = None

    @property
    def is_client_access(self) -> bool:
        return self.request_type is RequestType.AGENT


class DecisionOutcome(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ESCALATED = "Escalated"
    REFUSED = "refused"


class DecisionResult(Record):
    """What the worker reports back to the portal request waiting on a decision command."""

    outcome: DecisionOutcome
    code: str | None = None
    detail: str | None = None
    reason: str | None = None

"""The duplicate-request rule: one pending request and at most one access per natural key.

A vendor may POST the same request any number of times, concurrently too; the rule decides
from what is stored under the request's natural key. Storage reads that state and applies
the decision in one atomic step, so N concurrent POSTs create one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events import RequestType

from .refusals import Refusal, RefusalKind
from .requests import AccessRequest

__all__ = [
    "CreateNew",
    "CreationDecision",
    "RefuseActiveAccess",
    "ReturnExisting",
    "active_access_refusal",
    "decide_creation",
]


@dataclass(frozen=True, slots=True)
class CreateNew:
    """Nothing pending and no active access under the key: store the new request."""


@dataclass(frozen=True, slots=True)
class ReturnExisting:
    """The same request is still pending: answer with it and store nothing."""

    request: AccessRequest


@dataclass(frozen=True, slots=True)
class RefuseActiveAccess:
    """The party already granted this access: refuse, and name the access."""

    access_id: str


CreationDecision = CreateNew | ReturnExisting | RefuseActiveAccess


def decide_creation(
    latest: AccessRequest | None,
    active_access_id: str | None,
    now: datetime,
    request_type: RequestType,
) -> CreationDecision:
    """Decide a new request from the latest request and the live access under its natural key.

    Pending requests are per type, as in Altinn: a standard request pending under the key is
    not the answer to an agent request (nor the other way round). ``request_type`` is the new
    request's type.
    """
    if active_access_id is not None:
        return RefuseActiveAccess(active_access_id)
    if latest is not None and latest.request_type is request_type and latest.is_pending(now):
        return ReturnExisting(latest)
    return CreateNew()


def active_access_refusal(access_id: str) -> Refusal:
    return Refusal(
        RefusalKind.INVALID,
        "AUTH-00004",
        "System user already exists",
        "An active system access exists for this partyOrgNo, externalRef and systemId",
        {"systemUserId": access_id},
    )

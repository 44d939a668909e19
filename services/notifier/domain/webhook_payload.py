"""The body a vendor's webhook receives: an envelope around a vendor's view of the event.

The vendor learns what happened to its request or system access, and in what role someone
acted, but never who: people's national identity numbers (``approvedBy``, ``rejectedBy``,
``addedBy``, ``removedBy``, ``deletedBy``, ``changedBy`` on the internal events) stay inside. Each event's
view is an allow-list of its fields, so a field added to an event later reaches vendors only
when it is added here (``tests/unit/notifier/test_domain.py`` checks that every field is
either shown or withheld on purpose).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import events as ev

__all__ = ["ACTOR_ROLES", "VENDOR_FIELDS", "WebhookPayload", "vendor_view"]

_ENVELOPE = ("eventId", "occurredAt", "schemaVersion")

VENDOR_FIELDS: dict[type[ev.Message], tuple[str, ...]] = {
    ev.SystemAccessCreated: (
        "systemAccessId",
        "requestId",
        "requestType",
        "systemId",
        "vendorOrgNo",
        "partyOrgNo",
        "externalRef",
        "integrationTitle",
        "rights",
        "accessPackages",
        "approvedAt",
    ),
    ev.SystemAccessRequestRejected: ("requestId", "systemId", "vendorOrgNo", "partyOrgNo", "rejectedAt"),
    ev.RequestTimedOut: ("requestId", "systemId", "vendorOrgNo", "partyOrgNo"),
    ev.ClientAdded: ("systemAccessId", "systemId", "vendorOrgNo", "facilitatorOrgNo", "clientOrgNo"),
    ev.ClientRemoved: ("systemAccessId", "systemId", "vendorOrgNo", "facilitatorOrgNo", "clientOrgNo"),
    ev.SystemAccessDeleted: ("systemAccessId", "systemId", "vendorOrgNo", "partyOrgNo", "externalRef"),
    ev.SystemAccessChanged: (
        "changeRequestId",
        "systemAccessId",
        "requestType",
        "systemId",
        "vendorOrgNo",
        "partyOrgNo",
        "externalRef",
        "rightsAdded",
        "rightsRemoved",
        "accessPackagesAdded",
        "accessPackagesRemoved",
        "rights",
        "accessPackages",
        "changedAt",
    ),
    ev.SystemAccessChangeRejected: (
        "changeRequestId",
        "systemAccessId",
        "systemId",
        "vendorOrgNo",
        "partyOrgNo",
        "rejectedAt",
    ),
    ev.ChangeRequestTimedOut: ("changeRequestId", "systemAccessId", "systemId", "vendorOrgNo", "partyOrgNo"),
}
"""The fields of each outcome event a vendor sees (JSON names), besides the envelope's."""

ACTOR_ROLES: dict[str, str] = {
    "approvedBy": "access-manager",
    "rejectedBy": "access-manager",
    "deletedBy": "access-manager",
    "changedBy": "access-manager",
    "addedBy": "client-administrator",
    "removedBy": "client-administrator",
}
"""Fields that name a person internally, and the role the vendor is told instead."""


def vendor_view(event: ev.Message) -> dict[str, Any]:
    """What a vendor may know of ``event``: allowed fields, and each actor as a role."""
    fields = VENDOR_FIELDS.get(type(event))
    if fields is None:
        raise ValueError(f"{event.event_type} is not sent to vendors")
    full = json.loads(event.to_json_bytes())
    view = {name: full[name] for name in (*_ENVELOPE, *fields) if name in full}
    for name, role in ACTOR_ROLES.items():
        if name in full:
            view[name] = {"actorType": "person", "role": role}
    return view


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """``{"deliveryId", "eventType", "occurredAt", "data"}``; ``data`` is the vendor's view of the event."""

    delivery_id: str
    event_type: str
    occurred_at: datetime
    event: ev.Message

    @classmethod
    def of(cls, event: ev.Message) -> WebhookPayload:
        # The event id doubles as the delivery id, so a receiver sees one id per event however
        # often the notifier retries or re-plans it.
        return cls(str(event.event_id), event.event_type, event.occurred_at, event)

    def to_json(self) -> str:
        """The exact text that is signed and sent (compact separators, ASCII escapes)."""
        return json.dumps(
            {
                "deliveryId": self.delivery_id,
                "eventType": self.event_type,
                "occurredAt": self.occurred_at.isoformat(),
                "data": vendor_view(self.event),
            },
            separators=(",", ":"),
        )

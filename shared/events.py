"""Events and commands exchanged over Kafka.

Every message is a frozen, versioned pydantic model. Events are named in the past tense,
commands in the imperative. JSON field names are camelCase, as in Altinn's API. Consumers
ignore unknown fields, so adding an optional field is not a breaking change; removing or
renaming one is (the contract tests catch that).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every Kafka message: an id for idempotency, a timestamp and a schema version."""

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        ser_json_timedelta="iso8601",
    )

    event_type: ClassVar[str]
    event_id: UUID = Field(default_factory=uuid4, description="Unique per message; the idempotency key")
    occurred_at: datetime = Field(default_factory=utcnow, description="When it happened (UTC)")
    schema_version: Literal[1] = Field(default=1, description="Version of this message's schema")

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    def headers(self) -> dict[str, str]:
        return {
            "event-type": self.event_type,
            "event-id": str(self.event_id),
            "schema-version": str(self.schema_version),
        }


class RequestType(StrEnum):
    STANDARD = "standard"
    AGENT = "agent"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"


class SystemDescription(BaseModel):
    """The parts of a registered system that other services need (names, rights, redirect URLs)."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    system_id: str
    vendor_org_no: str
    name: dict[str, str] = Field(description="Display name per language (nb, en, nn)")
    description: dict[str, str] = Field(default_factory=dict)
    rights: tuple[str, ...] = Field(default=(), description="Resource ids (urn:altinn:resource values)")
    access_packages: tuple[str, ...] = Field(default=(), description="Access package URNs")
    allowed_redirect_urls: tuple[str, ...] = ()
    is_visible: bool = False
    webhook_url: str | None = Field(default=None, description="Where the vendor wants outcome events")


class SystemRegistered(Message):
    event_type: ClassVar[str] = "SystemRegistered"
    system: SystemDescription


class SystemUpdated(Message):
    event_type: ClassVar[str] = "SystemUpdated"
    system: SystemDescription


class SystemDeleted(Message):
    event_type: ClassVar[str] = "SystemDeleted"
    system_id: str
    vendor_org_no: str


class SealedWebhookSecret(BaseModel):
    """One of a system's webhook signing secrets, sealed (``shared.sealing``): never in the clear."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    sealed: str = Field(description="The secret, sealed with the key intake and the notifier share")
    not_after: datetime | None = Field(
        default=None, description="When a rotated-out secret stops signing; null for the current one"
    )


class WebhookSecretsChanged(Message):
    """A system's webhook signing secrets, as they are now (last write wins, by ``generation``).

    Read only by the notifier (the broker's ACLs follow ``shared.topics``); the secrets are
    sealed, so neither the log nor a consumer without the sealing key can read them.
    """

    event_type: ClassVar[str] = "WebhookSecretsChanged"
    system_id: str
    vendor_org_no: str
    generation: int = Field(description="Grows with every change of the system's secrets")
    secrets: tuple[SealedWebhookSecret, ...] = Field(
        default=(), description="The current secret first, then rotated-out ones still in their grace"
    )


class SystemAccessRequested(Message):
    """A vendor asked a party for system access; carries everything the approval page shows."""

    event_type: ClassVar[str] = "SystemAccessRequested"
    request_id: UUID
    request_type: RequestType
    system_id: str
    system_name: dict[str, str]
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    integration_title: str
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()
    redirect_url: str | None = None
    created: datetime
    expires_at: datetime


class RequestWithdrawn(Message):
    event_type: ClassVar[str] = "RequestWithdrawn"
    request_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str


class DecideRequest(Message):
    """Command from the portal: apply a person's decision to a pending request."""

    event_type: ClassVar[str] = "DecideRequest"
    request_id: UUID
    party_org_no: str
    decision: Decision
    actor_pid: str = Field(description="National identity number of the person deciding")
    session_ref: str | None = Field(default=None, description="Opaque reference for tracing")


class SystemAccessCreated(Message):
    event_type: ClassVar[str] = "SystemAccessCreated"
    system_access_id: UUID = Field(description="Equal to the request id")
    request_id: UUID
    request_type: RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    integration_title: str
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()
    approved_by: str
    approved_at: datetime


class SystemAccessRequestRejected(Message):
    event_type: ClassVar[str] = "SystemAccessRequestRejected"
    request_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str
    rejected_by: str
    rejected_at: datetime


class RequestEscalated(Message):
    event_type: ClassVar[str] = "RequestEscalated"
    request_id: UUID
    request_type: RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    escalated_by: str
    escalated_at: datetime
    access_managers: tuple[str, ...] = Field(description="Pids of the party's access managers")


class RequestTimedOut(Message):
    event_type: ClassVar[str] = "RequestTimedOut"
    request_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str


class EscalationReminderTriggered(Message):
    """An escalated request has waited half its time to live; its access managers are reminded."""

    event_type: ClassVar[str] = "EscalationReminderTriggered"
    request_id: UUID
    request_type: RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    access_managers: tuple[str, ...]
    expires_at: datetime


class ClientAdded(Message):
    event_type: ClassVar[str] = "ClientAdded"
    system_access_id: UUID
    system_id: str
    vendor_org_no: str
    facilitator_org_no: str
    client_org_no: str
    added_by: str


class ClientRemoved(Message):
    event_type: ClassVar[str] = "ClientRemoved"
    system_access_id: UUID
    system_id: str
    vendor_org_no: str
    facilitator_org_no: str
    client_org_no: str
    removed_by: str


class SystemAccessDeleted(Message):
    event_type: ClassVar[str] = "SystemAccessDeleted"
    system_access_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    deleted_by: str


# -- change requests: a vendor asks to change the rights and packages of a live access ---------


class SystemAccessChangeRequested(Message):
    """A vendor asked a party to change a system access: rights and packages it must hold
    (``required*``) and must not hold (``unwanted*``); carries what the approval page shows."""

    event_type: ClassVar[str] = "SystemAccessChangeRequested"
    change_request_id: UUID = Field(description="The vendor's correlation id")
    system_access_id: UUID
    request_type: RequestType = Field(description="The kind of the system access (standard or agent)")
    system_id: str
    system_name: dict[str, str]
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    required_rights: tuple[str, ...] = ()
    unwanted_rights: tuple[str, ...] = ()
    required_access_packages: tuple[str, ...] = ()
    unwanted_access_packages: tuple[str, ...] = ()
    redirect_url: str | None = None
    created: datetime
    expires_at: datetime


class ChangeRequestWithdrawn(Message):
    event_type: ClassVar[str] = "ChangeRequestWithdrawn"
    change_request_id: UUID
    system_access_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str


class DecideChangeRequest(Message):
    """Command from the portal: apply a person's decision (approve or reject) to a change request."""

    event_type: ClassVar[str] = "DecideChangeRequest"
    change_request_id: UUID
    party_org_no: str
    decision: Decision
    actor_pid: str = Field(description="National identity number of the person deciding")


class SystemAccessChanged(Message):
    """A change request was approved: the access now holds ``rights`` and ``accessPackages``."""

    event_type: ClassVar[str] = "SystemAccessChanged"
    change_request_id: UUID
    system_access_id: UUID
    request_type: RequestType
    system_id: str
    vendor_org_no: str
    party_org_no: str
    external_ref: str
    rights_added: tuple[str, ...] = ()
    rights_removed: tuple[str, ...] = ()
    access_packages_added: tuple[str, ...] = ()
    access_packages_removed: tuple[str, ...] = ()
    rights: tuple[str, ...] = Field(default=(), description="The access's rights after the change")
    access_packages: tuple[str, ...] = Field(default=(), description="Its packages after the change")
    changed_by: str
    changed_at: datetime


class SystemAccessChangeRejected(Message):
    event_type: ClassVar[str] = "SystemAccessChangeRejected"
    change_request_id: UUID
    system_access_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str
    rejected_by: str
    rejected_at: datetime


class ChangeRequestTimedOut(Message):
    event_type: ClassVar[str] = "ChangeRequestTimedOut"
    change_request_id: UUID
    system_access_id: UUID
    system_id: str
    vendor_org_no: str
    party_org_no: str


ALL_MESSAGES: tuple[type[Message], ...] = (
    SystemRegistered,
    SystemUpdated,
    SystemDeleted,
    WebhookSecretsChanged,
    SystemAccessRequested,
    RequestWithdrawn,
    DecideRequest,
    SystemAccessCreated,
    SystemAccessRequestRejected,
    RequestEscalated,
    RequestTimedOut,
    EscalationReminderTriggered,
    ClientAdded,
    ClientRemoved,
    SystemAccessDeleted,
    SystemAccessChangeRequested,
    ChangeRequestWithdrawn,
    DecideChangeRequest,
    SystemAccessChanged,
    SystemAccessChangeRejected,
    ChangeRequestTimedOut,
)


def message_type(name: str) -> type[Message]:
    for cls in ALL_MESSAGES:
        if cls.event_type == name:
            return cls
    raise KeyError(name)


def example_payload(cls: type[Message]) -> dict[str, Any]:
    """A deterministic example of each message, used for the golden files and the docs."""
    return EXAMPLES[cls.event_type]


_REQ = "0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10"
_SYSTEM = {
    "systemId": "314000110_smartcloud",
    "vendorOrgNo": "314000110",
    "name": {"nb": "SmartCloud", "en": "SmartCloud", "nn": "SmartCloud"},
    "description": {"nb": "Regnskap i skyen", "en": "Accounting in the cloud", "nn": "Rekneskap"},
    "rights": ["ske-krav-og-betalinger", "app_skd_mva-melding", "nav-sykmelding"],
    "accessPackages": [
        "urn:altinn:accesspackage:skattnaering",
        "urn:altinn:accesspackage:regnskap-okonomi-rapport",
        "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
        "urn:altinn:accesspackage:regnskapsforer-lonn",
    ],
    "allowedRedirectUrls": ["https://smartcloud.example/receipt"],
    "isVisible": False,
    "webhookUrl": None,
}


def _base(n: int) -> dict[str, Any]:
    return {
        "eventId": f"00000000-0000-4000-8000-{n:012d}",
        "occurredAt": "2026-11-29T10:00:00Z",
        "schemaVersion": 1,
    }


_KEY = {"systemId": "314000110_smartcloud", "vendorOrgNo": "314000110", "partyOrgNo": "310614289"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "SystemRegistered": {**_base(1), "system": _SYSTEM},
    "SystemUpdated": {**_base(2), "system": _SYSTEM},
    "SystemDeleted": {**_base(3), "systemId": "314000110_smartcloud", "vendorOrgNo": "314000110"},
    "WebhookSecretsChanged": {
        **_base(15),
        "systemId": "314000110_smartcloud",
        "vendorOrgNo": "314000110",
        "generation": 2,
        "secrets": [
            {"sealed": "v1.0a1b2c3d.c2VhbGVkLW5ldw", "notAfter": None},
            {"sealed": "v1.0a1b2c3d.c2VhbGVkLW9sZA", "notAfter": "2026-11-30T10:00:00Z"},
        ],
    },
    "SystemAccessRequested": {
        **_base(4),
        **_KEY,
        "requestId": _REQ,
        "requestType": "standard",
        "systemName": {"nb": "SmartCloud", "en": "SmartCloud", "nn": "SmartCloud"},
        "externalRef": "310614289",
        "integrationTitle": "SmartCloud",
        "rights": ["ske-krav-og-betalinger"],
        "accessPackages": ["urn:altinn:accesspackage:skattnaering"],
        "redirectUrl": "https://smartcloud.example/receipt",
        "created": "2026-11-29T10:00:00Z",
        "expiresAt": "2027-05-28T10:00:00Z",
    },
    "RequestWithdrawn": {**_base(5), **_KEY, "requestId": _REQ},
    "DecideRequest": {
        **_base(6),
        "requestId": _REQ,
        "partyOrgNo": "310614289",
        "decision": "approve",
        "actorPid": "12887010186",
        "sessionRef": None,
    },
    "SystemAccessCreated": {
        **_base(7),
        **_KEY,
        "systemAccessId": _REQ,
        "requestId": _REQ,
        "requestType": "standard",
        "externalRef": "310614289",
        "integrationTitle": "SmartCloud",
        "rights": ["ske-krav-og-betalinger"],
        "accessPackages": ["urn:altinn:accesspackage:skattnaering"],
        "approvedBy": "12887010186",
        "approvedAt": "2026-11-29T10:00:00Z",
    },
    "SystemAccessRequestRejected": {
        **_base(8),
        **_KEY,
        "requestId": _REQ,
        "rejectedBy": "12887010186",
        "rejectedAt": "2026-11-29T10:00:00Z",
    },
    "RequestEscalated": {
        **_base(9),
        **_KEY,
        "requestId": _REQ,
        "requestType": "standard",
        "escalatedBy": "21927110056",
        "escalatedAt": "2026-11-29T10:00:00Z",
        "accessManagers": ["12887010186", "03897610069", "05816510068"],
    },
    "RequestTimedOut": {**_base(10), **_KEY, "requestId": _REQ},
    "EscalationReminderTriggered": {
        **_base(14),
        **_KEY,
        "requestId": _REQ,
        "requestType": "standard",
        "accessManagers": ["12887010186", "03897610069", "05816510068"],
        "expiresAt": "2027-05-28T10:00:00Z",
    },
    "ClientAdded": {
        **_base(11),
        "systemAccessId": _REQ,
        "systemId": "314000110_smartcloud",
        "vendorOrgNo": "314000110",
        "facilitatorOrgNo": "313222225",
        "clientOrgNo": "311543210",
        "addedBy": "17848310182",
    },
    "ClientRemoved": {
        **_base(12),
        "systemAccessId": _REQ,
        "systemId": "314000110_smartcloud",
        "vendorOrgNo": "314000110",
        "facilitatorOrgNo": "313222225",
        "clientOrgNo": "311543210",
        "removedBy": "17848310182",
    },
    "SystemAccessDeleted": {
        **_base(13),
        **_KEY,
        "systemAccessId": _REQ,
        "externalRef": "310614289",
        "deletedBy": "12887010186",
    },
}

_CHANGE = "5b1c7a0e-8d2f-4c3b-9a41-2e6f0d9c8b71"
_CHANGE_KEY = {**_KEY, "changeRequestId": _CHANGE, "systemAccessId": _REQ}
EXAMPLES.update(
    {
        "SystemAccessChangeRequested": {
            **_base(16),
            **_CHANGE_KEY,
            "requestType": "standard",
            "systemName": {"nb": "SmartCloud", "en": "SmartCloud", "nn": "SmartCloud"},
            "externalRef": "310614289",
            "requiredRights": ["app_skd_mva-melding"],
            "unwantedRights": ["ske-krav-og-betalinger"],
            "requiredAccessPackages": ["urn:altinn:accesspackage:regnskap-okonomi-rapport"],
            "unwantedAccessPackages": [],
            "redirectUrl": "https://smartcloud.example/receipt",
            "created": "2026-11-29T10:00:00Z",
            "expiresAt": "2027-05-28T10:00:00Z",
        },
        "ChangeRequestWithdrawn": {**_base(17), **_CHANGE_KEY},
        "DecideChangeRequest": {
            **_base(18),
            "changeRequestId": _CHANGE,
            "partyOrgNo": "310614289",
            "decision": "approve",
            "actorPid": "12887010186",
        },
        "SystemAccessChanged": {
            **_base(19),
            **_CHANGE_KEY,
            "requestType": "standard",
            "externalRef": "310614289",
            "rightsAdded": ["app_skd_mva-melding"],
            "rightsRemoved": ["ske-krav-og-betalinger"],
            "accessPackagesAdded": ["urn:altinn:accesspackage:regnskap-okonomi-rapport"],
            "accessPackagesRemoved": [],
            "rights": ["app_skd_mva-melding"],
            "accessPackages": [
                "urn:altinn:accesspackage:skattnaering",
                "urn:altinn:accesspackage:regnskap-okonomi-rapport",
            ],
            "changedBy": "12887010186",
            "changedAt": "2026-11-29T10:00:00Z",
        },
        "SystemAccessChangeRejected": {
            **_base(20),
            **_CHANGE_KEY,
            "rejectedBy": "12887010186",
            "rejectedAt": "2026-11-29T10:00:00Z",
        },
        "ChangeRequestTimedOut": {**_base(21), **_CHANGE_KEY},
    }
)

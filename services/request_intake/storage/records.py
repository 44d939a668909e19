"""The JSON intake stores for each record, and the conversions to and from the domain's models.

The stored shape predates the typed models and is kept as it is (Altinn's names, epoch
milliseconds for the request's times), so data written by earlier releases reads the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.events import RequestType

from ..domain.accesses import SystemAccess
from ..domain.requests import AccessRequest
from ..domain.system_changes import SystemChange
from ..domain.systems import RegisteredSystem, SystemSpec, WebhookKey

__all__ = [
    "access_by_system_member",
    "by_system_member",
    "decode_access",
    "decode_change",
    "decode_request",
    "decode_system",
    "encode_access",
    "encode_change",
    "encode_request",
    "encode_system",
    "epoch_ms",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_SYSTEM_BOOKKEEPING = (
    "vendorOrgNo",
    "isDeleted",
    "created",
    "updated",
    "webhookKeys",
    "webhookKeysGeneration",
)


def epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _from_epoch_ms(ms: int) -> datetime:
    return _EPOCH + ms * _MS


def by_system_member(request: AccessRequest) -> str:
    """The request's entry in its system's list; sorts by creation time."""
    return f"{epoch_ms(request.created):013d}:{request.id}"


def access_by_system_member(access: SystemAccess) -> str:
    """The access's entry in its system's list of accesses; sorts by creation time."""
    return f"{epoch_ms(access.created):013d}:{access.id}"


def encode_change(change: SystemChange) -> str:
    return change.model_dump_json()


def decode_change(raw: str | bytes) -> SystemChange:
    return SystemChange.model_validate_json(raw)


def encode_system(system: RegisteredSystem) -> str:
    return json.dumps(
        {
            **system.spec.model_dump(mode="json", by_alias=True),
            "vendorOrgNo": system.vendor_org_no,
            "isDeleted": system.is_deleted,
            "created": system.created.isoformat(),
            "updated": system.updated.isoformat(),
            # Sealed signing secrets (shared.sealing): never stored in the clear.
            "webhookKeys": [
                {"sealed": key.sealed, "notAfter": key.not_after.isoformat() if key.not_after else None}
                for key in system.webhook_keys
            ],
            "webhookKeysGeneration": system.webhook_keys_generation,
        }
    )


def decode_system(raw: str | bytes) -> RegisteredSystem:
    stored = json.loads(raw)
    spec = {k: v for k, v in stored.items() if k not in _SYSTEM_BOOKKEEPING}
    return RegisteredSystem(
        spec=SystemSpec.model_validate(spec),
        vendor_org_no=stored["vendorOrgNo"],
        is_deleted=bool(stored.get("isDeleted")),
        created=datetime.fromisoformat(stored["created"]),
        updated=datetime.fromisoformat(stored["updated"]),
        webhook_keys=tuple(
            WebhookKey(
                sealed=key["sealed"],
                not_after=datetime.fromisoformat(key["notAfter"]) if key.get("notAfter") else None,
            )
            for key in stored.get("webhookKeys", ())
        ),
        webhook_keys_generation=int(stored.get("webhookKeysGeneration", 0)),
    )


def encode_request(request: AccessRequest) -> str:
    return json.dumps(
        {
            "id": request.id,
            "requestType": request.request_type.value,
            "systemId": request.system_id,
            "vendorOrgNo": request.vendor_org_no,
            "partyOrgNo": request.party_org_no,
            "externalRef": request.external_ref,
            "integrationTitle": request.integration_title,
            "rights": list(request.rights),
            "accessPackages": list(request.access_packages),
            "redirectUrl": request.redirect_url,
            "status": request.status,
            "escalated": request.escalated,
            "created": request.created.isoformat(),
            "createdMs": epoch_ms(request.created),
            "expiresAtMs": epoch_ms(request.expires_at),
            "withdrawn": request.withdrawn,
        }
    )


def decode_request(raw: str | bytes) -> AccessRequest:
    stored = json.loads(raw)
    return AccessRequest(
        id=stored["id"],
        request_type=RequestType(stored["requestType"]),
        system_id=stored["systemId"],
        vendor_org_no=stored["vendorOrgNo"],
        party_org_no=stored["partyOrgNo"],
        external_ref=stored["externalRef"],
        integration_title=stored["integrationTitle"],
        rights=tuple(stored["rights"]),
        access_packages=tuple(stored["accessPackages"]),
        redirect_url=stored.get("redirectUrl"),
        status=stored["status"],
        escalated=bool(stored.get("escalated", False)),
        created=datetime.fromisoformat(stored["created"]),
        expires_at=_from_epoch_ms(int(stored["expiresAtMs"])),
        withdrawn=bool(stored.get("withdrawn", False)),
    )


def encode_access(access: SystemAccess) -> str:
    return json.dumps(
        {
            "id": access.id,
            "integrationTitle": access.integration_title,
            "systemId": access.system_id,
            "reporteeOrgNo": access.party_org_no,
            "created": access.created.isoformat(),
            "isDeleted": access.is_deleted,
            "supplierOrgno": access.vendor_org_no,
            "externalRef": access.external_ref,
            "userType": access.request_type.value,
            "rights": list(access.rights),
            "accessPackages": list(access.access_packages),
        }
    )


def decode_access(raw: str | bytes) -> SystemAccess:
    stored = json.loads(raw)
    return SystemAccess(
        id=stored["id"],
        integration_title=stored["integrationTitle"],
        system_id=stored["systemId"],
        party_org_no=stored["reporteeOrgNo"],
        created=datetime.fromisoformat(stored["created"]),
        is_deleted=bool(stored.get("isDeleted", False)),
        vendor_org_no=stored["supplierOrgno"],
        external_ref=stored["externalRef"],
        request_type=RequestType(stored["userType"]),
        rights=tuple(stored["rights"]),
        access_packages=tuple(stored["accessPackages"]),
    )

"""Application services of the vendor API: validate, build the record, store with its event."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import events as ev
from shared.problems import Problem
from shared.webhooks import derive_secret
from shared.world import RESOURCE_ATTRIBUTE, World

from .rules import validate_request, validate_system
from .schemas import (
    AccessPackageRef,
    AgentRequestBody,
    RequestPage,
    RequestView,
    ResourceAttribute,
    Right,
    StandardRequestBody,
    SystemBody,
    SystemView,
)
from .store import IntakeStore


def _now() -> datetime:
    return datetime.now(UTC)


def system_not_found(system_id: str) -> Problem:
    return Problem(404, "System not found", f"No system {system_id} for this vendor", code="AUTH-00011")


class IntakeService:
    def __init__(
        self,
        store: IntakeStore,
        world: World,
        *,
        portal_base_url: str,
        public_base_url: str,
        request_ttl: timedelta,
        page_size: int,
        require_known_party: bool,
        webhook_master_key: str,
        insecure_loopback_webhooks: bool = False,
    ) -> None:
        self.store = store
        self.world = world
        self.portal_base_url = portal_base_url.rstrip("/")
        self.public_base_url = public_base_url.rstrip("/")
        self.request_ttl = request_ttl
        self.page_size = page_size
        self.require_known_party = require_known_party
        self.webhook_master_key = webhook_master_key
        self.insecure_loopback_webhooks = insecure_loopback_webhooks

    # -- system register --------------------------------------------------------------------
    async def register_system(self, body: SystemBody, vendor_org: str) -> SystemView:
        description = validate_system(
            body, vendor_org, self.world, insecure_loopback_webhooks=self.insecure_loopback_webhooks
        )
        now = _now()
        record = self._system_record(body, description.vendor_org_no, now, now)
        stored = await self.store.save_system(
            record, ev.SystemRegistered(system=description), must_be_new=True
        )
        if not stored:
            raise Problem(
                400,
                "Validation of the system failed",
                f"System {body.id} already exists",
                code="AUTH.VLD-00002",
            )
        return self._with_secret(SystemView.model_validate(record), had_webhook=False)

    async def replace_system(self, system_id: str, body: SystemBody, vendor_org: str) -> SystemView:
        existing = await self._own_system(system_id, vendor_org)
        description = validate_system(
            body,
            vendor_org,
            self.world,
            path_id=system_id,
            insecure_loopback_webhooks=self.insecure_loopback_webhooks,
        )
        record = self._system_record(
            body, description.vendor_org_no, datetime.fromisoformat(existing["created"]), _now()
        )
        await self.store.save_system(record, ev.SystemUpdated(system=description), must_be_new=False)
        return self._with_secret(
            SystemView.model_validate(record), had_webhook=bool(existing.get("webhookUrl"))
        )

    def _with_secret(self, view: SystemView, *, had_webhook: bool) -> SystemView:
        if view.webhook_url is None or had_webhook:
            return view
        return view.model_copy(update={"webhook_secret": derive_secret(self.webhook_master_key, view.id)})

    async def delete_system(self, system_id: str, vendor_org: str) -> None:
        existing = await self._own_system(system_id, vendor_org)
        existing["isDeleted"] = True
        existing["updated"] = _now().isoformat()
        event = ev.SystemDeleted(system_id=system_id, vendor_org_no=vendor_org)
        await self.store.save_system(existing, event, must_be_new=False)

    async def get_system(self, system_id: str, vendor_org: str) -> SystemView:
        return SystemView.model_validate(await self._own_system(system_id, vendor_org))

    async def list_systems(self, vendor_org: str) -> list[SystemView]:
        return [
            SystemView.model_validate(r)
            for r in await self.store.list_systems(vendor_org)
            if not r.get("isDeleted")
        ]

    async def seed_system(self, body: dict[str, Any]) -> None:
        """Register a seed system unless it exists (development start-up)."""
        model = SystemBody.model_validate(body)
        vendor_org = model.vendor.ID.partition(":")[2]
        if await self.store.get_system(model.id) is None:
            await self.register_system(model, vendor_org)

    async def _own_system(self, system_id: str, vendor_org: str) -> dict[str, Any]:
        record = await self.store.get_system(system_id)
        if record is None or record.get("isDeleted") or record["vendorOrgNo"] != vendor_org:
            raise system_not_found(system_id)
        return record

    @staticmethod
    def _system_record(
        body: SystemBody, vendor_org: str, created: datetime, updated: datetime
    ) -> dict[str, Any]:
        return {
            **body.model_dump(mode="json", by_alias=True),
            "vendorOrgNo": vendor_org,
            "isDeleted": False,
            "created": created.isoformat(),
            "updated": updated.isoformat(),
        }

    # -- requests ---------------------------------------------------------------------------
    async def create_request(
        self, body: StandardRequestBody | AgentRequestBody, vendor_org: str
    ) -> tuple[RequestView, bool]:
        """Create a request, or return the pending one with the same natural key (created=False)."""
        system = await self._own_system(body.system_id, vendor_org)
        description = validate_system(
            SystemView.model_validate(system), vendor_org, self.world, insecure_loopback_webhooks=True
        )
        rights, packages = validate_request(
            body, description, self.world, require_known_party=self.require_known_party
        )
        request_type = ev.RequestType.AGENT if isinstance(body, AgentRequestBody) else ev.RequestType.STANDARD
        now = _now()
        request_id = str(uuid.uuid4())
        external_ref = body.external_ref or body.party_org_no
        title = body.integration_title or description.name.get("nb") or body.system_id
        expires = now + self.request_ttl
        record: dict[str, Any] = {
            "id": request_id,
            "requestType": request_type.value,
            "systemId": body.system_id,
            "vendorOrgNo": vendor_org,
            "partyOrgNo": body.party_org_no,
            "externalRef": external_ref,
            "integrationTitle": title,
            "rights": list(rights),
            "accessPackages": list(packages),
            "redirectUrl": body.redirect_url,
            "status": "New",
            "escalated": False,
            "created": now.isoformat(),
            "createdMs": int(now.timestamp() * 1000),
            "expiresAtMs": int(expires.timestamp() * 1000),
            "withdrawn": False,
        }
        event = ev.SystemAccessRequested(
            request_id=uuid.UUID(request_id),
            request_type=request_type,
            system_id=body.system_id,
            system_name=description.name,
            vendor_org_no=vendor_org,
            party_org_no=body.party_org_no,
            external_ref=external_ref,
            integration_title=title,
            rights=rights,
            access_packages=packages,
            redirect_url=body.redirect_url,
            created=now,
            expires_at=expires,
        )
        outcome = await self.store.create_request(record, event, record["createdMs"])
        if outcome.kind == "access":
            raise Problem(
                400,
                "System user already exists",
                "An active system access exists for this partyOrgNo, externalRef and systemId",
                code="AUTH-00004",
                systemUserId=outcome.id,
            )
        if outcome.kind == "existing":
            existing = await self.store.get_request(outcome.id)
            assert existing is not None
            return self.view(existing), False
        return self.view(record), True

    async def get_request(
        self, request_id: str, vendor_org: str, request_type: ev.RequestType
    ) -> RequestView:
        record = await self.store.get_request(request_id)
        if not self._visible(record, vendor_org, request_type):
            raise request_not_found()
        assert record is not None
        return self.view(record)

    async def find_request(
        self,
        system_id: str,
        org_no: str,
        external_ref: str,
        vendor_org: str,
        request_type: ev.RequestType,
    ) -> RequestView:
        record = await self.store.find_request(system_id, org_no, external_ref)
        if not self._visible(record, vendor_org, request_type):
            raise request_not_found()
        assert record is not None
        return self.view(record)

    async def list_requests(
        self,
        system_id: str,
        vendor_org: str,
        request_type: ev.RequestType,
        token: str | None,
        base_path: str,
    ) -> RequestPage:
        await self._own_system(system_id, vendor_org)
        after = _decode_token(token) if token else None
        records, next_member = await self.store.page_requests(
            request_type.value, system_id, after, self.page_size
        )
        next_link = None
        if next_member is not None:
            next_link = f"{self.public_base_url}{base_path}?token={_encode_token(next_member)}"
        return RequestPage(links={"next": next_link}, data=[self.view(r) for r in records])

    async def withdraw_request(self, request_id: str, vendor_org: str) -> None:
        record = await self.store.get_request(request_id)
        if record is None or record.get("withdrawn") or record["vendorOrgNo"] != vendor_org:
            raise request_not_found()
        event = ev.RequestWithdrawn(
            request_id=uuid.UUID(request_id),
            system_id=record["systemId"],
            vendor_org_no=vendor_org,
            party_org_no=record["partyOrgNo"],
        )
        await self.store.withdraw_request(request_id, event)

    async def find_access(
        self, system_id: str, org_no: str, external_ref: str, vendor_org: str
    ) -> dict[str, Any]:
        system = await self._own_system(system_id, vendor_org)
        access = await self.store.find_access(system_id, org_no, external_ref)
        if access is None:
            raise Problem(404, "System user not found", code="AUTH-00015")
        vendor = self.world.organisation(vendor_org)
        return {**access, "supplierName": vendor.name if vendor else system["vendorOrgNo"]}

    async def clients(self, access_id: str, vendor_org: str) -> dict[str, Any]:
        access = await self.store.get_access(access_id)
        if access is None or access.get("isDeleted") or access["supplierOrgno"] != vendor_org:
            raise Problem(404, "System user not found", code="AUTH-00015")
        clients = []
        for org_no in await self.store.clients_of(access_id):
            org = self.world.organisation(org_no)
            clients.append({"orgNo": org_no, "name": org.name if org else None})
        return {"systemUserId": access_id, "links": {}, "data": clients}

    @staticmethod
    def _visible(record: dict[str, Any] | None, vendor_org: str, request_type: ev.RequestType) -> bool:
        return (
            record is not None
            and not record.get("withdrawn")
            and record["vendorOrgNo"] == vendor_org
            and record["requestType"] == request_type.value
        )

    def view(self, record: dict[str, Any]) -> RequestView:
        status = record["status"]
        timed_out = status == "Timedout"
        if status == "New" and record["expiresAtMs"] <= int(_now().timestamp() * 1000):
            status, timed_out = "Timedout", True
        path = "agentrequest" if record["requestType"] == ev.RequestType.AGENT.value else "request"
        return RequestView(
            id=record["id"],
            external_ref=record["externalRef"],
            system_id=record["systemId"],
            party_org_no=record["partyOrgNo"],
            integration_title=record["integrationTitle"],
            rights=[
                Right(resource=[ResourceAttribute(id=RESOURCE_ATTRIBUTE, value=r)]) for r in record["rights"]
            ],
            access_packages=[AccessPackageRef(urn=p) for p in record["accessPackages"]],
            status=status,
            redirect_url=record.get("redirectUrl"),
            confirm_url=f"{self.portal_base_url}/accessmanagement/ui/systemuser/{path}?id={record['id']}",
            escalated=record.get("escalated", False),
            created=datetime.fromisoformat(record["created"]),
            timed_out=timed_out,
        )


def request_not_found() -> Problem:
    return Problem(404, "Request not found", code="AUTH-00010")


def _encode_token(member: str) -> str:
    return base64.urlsafe_b64encode(member.encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        member = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Problem(400, "Invalid continuation token", code="AUTH.VLD-TOKEN") from exc
    created, _, request_id = member.partition(":")
    if not created.isdigit() or len(request_id) != 36:
        raise Problem(400, "Invalid continuation token", code="AUTH.VLD-TOKEN")
    return member

"""Redis persistence of the system register, requests and system accesses (intake's keys only).

Every state change that causes an event writes the event to the outbox stream in the same
atomic step (a Lua script or MULTI/EXEC).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import apply_once, begin
from shared.outbox import outbox_fields, stage

CREATE_REQUEST_LUA = """
local access = redis.call('GET', KEYS[5])
if access then return {'access', access} end
local existing = redis.call('GET', KEYS[1])
if existing then
  local raw = redis.call('GET', ARGV[5] .. existing)
  if raw then
    local rec = cjson.decode(raw)
    local pending = rec.status == 'New' and not rec.withdrawn
    if pending and tonumber(rec.expiresAtMs) > tonumber(ARGV[4]) then
      return {'existing', existing}
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[3])
redis.call('XADD', KEYS[4], '*', 'topic', ARGV[6], 'key', ARGV[7], 'headers', ARGV[8], 'body', ARGV[9])
return {'created', ARGV[1]}
"""


def natural_key_hash(system_id: str, party_org_no: str, external_ref: str) -> str:
    raw = json.dumps([system_id, party_org_no, external_ref], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class CreateOutcome:
    kind: str  # "created" | "existing" | "access"
    id: str


class IntakeStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.outbox = f"{prefix}:outbox"
        self._create_request = redis.register_script(CREATE_REQUEST_LUA)

    # -- keys -------------------------------------------------------------------------------
    def _system(self, system_id: str) -> str:
        return f"{self.prefix}:system:{system_id}"

    def _vendor_systems(self, org_no: str) -> str:
        return f"{self.prefix}:systems:vendor:{org_no}"

    def _request(self, request_id: str) -> str:
        return f"{self.prefix}:request:{request_id}"

    def _natural(self, key_hash: str) -> str:
        return f"{self.prefix}:reqkey:{key_hash}"

    def _by_system(self, request_type: str, system_id: str) -> str:
        return f"{self.prefix}:bysystem:{request_type}:{system_id}"

    def _access(self, access_id: str) -> str:
        return f"{self.prefix}:access:{access_id}"

    def _access_key(self, key_hash: str) -> str:
        return f"{self.prefix}:accesskey:{key_hash}"

    # -- system register --------------------------------------------------------------------
    async def get_system(self, system_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._system(system_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def list_systems(self, vendor_org_no: str) -> list[dict[str, Any]]:
        ids = sorted(str(i) for i in await self.redis.smembers(self._vendor_systems(vendor_org_no)))
        if not ids:
            return []
        raws = await self.redis.mget([self._system(i) for i in ids])
        return [json.loads(r) for r in raws if r]

    async def save_system(self, record: dict[str, Any], event: ev.Message, *, must_be_new: bool) -> bool:
        """Store a system record with its event; False if ``must_be_new`` and the id is taken."""
        key = self._system(record["id"])
        stored = True

        async def tx(pipe: Pipeline) -> None:
            nonlocal stored
            if must_be_new and await pipe.exists(key):
                stored = False
                return
            begin(pipe)
            pipe.set(key, json.dumps(record))
            pipe.sadd(self._vendor_systems(record["vendorOrgNo"]), record["id"])
            stage(pipe, self.outbox, event)

        await self.redis.transaction(tx, key)
        return stored

    # -- requests ---------------------------------------------------------------------------
    async def create_request(
        self, record: dict[str, Any], event: ev.SystemAccessRequested, now_ms: int
    ) -> CreateOutcome:
        key_hash = natural_key_hash(record["systemId"], record["partyOrgNo"], record["externalRef"])
        member = f"{record['createdMs']:013d}:{record['id']}"
        fields = outbox_fields(event)
        reply = await self._create_request(
            keys=[
                self._natural(key_hash),
                self._request(record["id"]),
                self._by_system(record["requestType"], record["systemId"]),
                self.outbox,
                self._access_key(key_hash),
            ],
            args=[
                record["id"],
                json.dumps(record),
                member,
                now_ms,
                f"{self.prefix}:request:",
                fields["topic"],
                fields["key"],
                fields["headers"],
                fields["body"],
            ],
        )
        kind, found = (v.decode() if isinstance(v, bytes) else str(v) for v in reply)
        return CreateOutcome(kind, found)

    async def get_request(self, request_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._request(request_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def find_request(
        self, system_id: str, party_org_no: str, external_ref: str
    ) -> dict[str, Any] | None:
        found = await self.redis.get(self._natural(natural_key_hash(system_id, party_org_no, external_ref)))
        return await self.get_request(str(found)) if found else None

    async def page_requests(
        self, request_type: str, system_id: str, after: str | None, size: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        start = f"({after}" if after else "-"
        members = [
            str(m)
            for m in await self.redis.zrangebylex(
                self._by_system(request_type, system_id), start, "+", start=0, num=size + 1
            )
        ]
        page = members[:size]
        raws = await self.redis.mget([self._request(m.split(":", 1)[1]) for m in page]) if page else []
        records = [json.loads(r) for r in raws if r]
        next_member = page[-1] if len(members) > size else None
        return [r for r in records if not r.get("withdrawn")], next_member

    async def withdraw_request(self, request_id: str, event: ev.RequestWithdrawn) -> None:
        key = self._request(request_id)

        async def tx(pipe: Pipeline) -> None:
            raw = await pipe.get(key)
            if raw is None:
                return
            record = json.loads(raw)
            if record.get("withdrawn"):
                begin(pipe)
                return
            record["withdrawn"] = True
            natural = self._natural(
                natural_key_hash(record["systemId"], record["partyOrgNo"], record["externalRef"])
            )
            current = await pipe.get(natural)
            begin(pipe)
            pipe.set(key, json.dumps(record))
            if current == request_id:
                pipe.delete(natural)
            stage(pipe, self.outbox, event)

        await self.redis.transaction(tx, key)

    # -- projections of the approval service's outcome events --------------------------------
    async def _update_request(self, event_id: str, request_id: str, change: Any, extra: Any = None) -> bool:
        key = self._request(request_id)

        async def plan(pipe: Pipeline) -> Any:
            raw = await pipe.get(key)
            if raw is None:
                return None
            record = json.loads(raw)
            change(record)

            def write(p: Pipeline) -> None:
                p.set(key, json.dumps(record))
                if extra is not None:
                    extra(p, record)

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=event_id, plan=plan, watch=[key])

    async def mark_accepted(self, event: ev.SystemAccessCreated) -> bool:
        access_id = str(event.system_access_id)
        access: dict[str, Any] = {
            "id": access_id,
            "integrationTitle": event.integration_title,
            "systemId": event.system_id,
            "reporteeOrgNo": event.party_org_no,
            "created": event.approved_at.isoformat(),
            "isDeleted": False,
            "supplierOrgno": event.vendor_org_no,
            "externalRef": event.external_ref,
            "userType": event.request_type.value,
            "rights": list(event.rights),
            "accessPackages": list(event.access_packages),
        }
        key_hash = natural_key_hash(event.system_id, event.party_org_no, event.external_ref)

        def change(record: dict[str, Any]) -> None:
            record["status"] = "Accepted"

        def extra(pipe: Pipeline, _record: dict[str, Any]) -> None:
            pipe.set(self._access(access_id), json.dumps(access))
            pipe.set(self._access_key(key_hash), access_id)

        return await self._update_request(str(event.event_id), str(event.request_id), change, extra)

    async def mark_rejected(self, event: ev.SystemAccessRequestRejected) -> bool:
        def change(record: dict[str, Any]) -> None:
            if record["status"] == "New":
                record["status"] = "Rejected"

        return await self._update_request(str(event.event_id), str(event.request_id), change)

    async def mark_escalated(self, event: ev.RequestEscalated) -> bool:
        def change(record: dict[str, Any]) -> None:
            record["escalated"] = True

        return await self._update_request(str(event.event_id), str(event.request_id), change)

    async def mark_timed_out(self, event: ev.RequestTimedOut) -> bool:
        def change(record: dict[str, Any]) -> None:
            if record["status"] == "New":
                record["status"] = "Timedout"

        return await self._update_request(str(event.event_id), str(event.request_id), change)

    async def mark_access_deleted(self, event: ev.SystemAccessDeleted) -> bool:
        access_key = self._access(str(event.system_access_id))
        natural = self._access_key(natural_key_hash(event.system_id, event.party_org_no, event.external_ref))

        async def plan(pipe: Pipeline) -> Any:
            raw = await pipe.get(access_key)
            current = await pipe.get(natural)
            if raw is None:
                return None
            access = json.loads(raw)
            access["isDeleted"] = True

            def write(p: Pipeline) -> None:
                p.set(access_key, json.dumps(access))
                if current == str(event.system_access_id):
                    p.delete(natural)
                p.delete(self._clients(str(event.system_access_id)))

            return write

        return await apply_once(
            self.redis,
            prefix=self.prefix,
            event_id=str(event.event_id),
            plan=plan,
            watch=[access_key, natural],
        )

    def _clients(self, access_id: str) -> str:
        return f"{self.prefix}:clients:{access_id}"

    async def change_client(self, event: ev.ClientAdded | ev.ClientRemoved) -> bool:
        key = self._clients(str(event.system_access_id))

        async def plan(pipe: Pipeline) -> Any:
            def write(p: Pipeline) -> None:
                if isinstance(event, ev.ClientAdded):
                    p.sadd(key, event.client_org_no)
                else:
                    p.srem(key, event.client_org_no)

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=str(event.event_id), plan=plan)

    async def get_access(self, access_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._access(access_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(str(c) for c in await self.redis.smembers(self._clients(access_id)))

    async def find_access(
        self, system_id: str, party_org_no: str, external_ref: str
    ) -> dict[str, Any] | None:
        found = await self.redis.get(
            self._access_key(natural_key_hash(system_id, party_org_no, external_ref))
        )
        if not found:
            return None
        raw = await self.redis.get(self._access(str(found)))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

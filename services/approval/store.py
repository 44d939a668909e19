"""approval's state in Redis: pending requests, systems, system accesses, decision results."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import Write, apply_once, begin
from shared.outbox import stage

from .decisions import Applied, Refusal

DECISION_RESULT_TTL = timedelta(hours=6)


class ApprovalStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.outbox = f"{prefix}:outbox"

    def request_key(self, request_id: str) -> str:
        return f"{self.prefix}:request:{request_id}"

    def _system(self, system_id: str) -> str:
        return f"{self.prefix}:system:{system_id}"

    def _access(self, access_id: str) -> str:
        return f"{self.prefix}:access:{access_id}"

    def _party_accesses(self, org_no: str) -> str:
        return f"{self.prefix}:accesses:{org_no}"

    def _pending(self, org_no: str) -> str:
        return f"{self.prefix}:pending:{org_no}"

    @property
    def expiry_index(self) -> str:
        return f"{self.prefix}:expiry"

    @property
    def reminder_index(self) -> str:
        return f"{self.prefix}:reminders"

    def result_key(self, command_id: str) -> str:
        return f"{self.prefix}:decision:{command_id}"

    def result_list(self, command_id: str) -> str:
        return f"{self.prefix}:decision-done:{command_id}"

    # -- reads ------------------------------------------------------------------------------
    async def accesses_of(self, org_no: str) -> list[dict[str, Any]]:
        ids = sorted(str(i) for i in await self.redis.smembers(self._party_accesses(org_no)))
        raws = await self.redis.mget([self._access(i) for i in ids]) if ids else []
        found = [json.loads(r) for r in raws if r]
        return [a for a in found if not a.get("deleted")]

    async def pending_escalated(self, org_no: str) -> list[dict[str, Any]]:
        ids = [str(i) for i in await self.redis.zrange(self._pending(org_no), 0, 199)]
        raws = await self.redis.mget([self.request_key(i) for i in ids]) if ids else []
        return [json.loads(r) for r in raws if r]

    async def get_request(self, request_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.request_key(request_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def get_system(self, system_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._system(system_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def get_access(self, access_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._access(access_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def wait_for_result(self, command_id: str, timeout: float) -> dict[str, Any] | None:
        """Block until the worker reports on a command (or return its stored result)."""
        stored = await self.redis.get(self.result_key(command_id))
        if stored:
            return cast(dict[str, Any], json.loads(stored))
        popped = await self.redis.blpop([self.result_list(command_id)], timeout=timeout)
        if popped is None:
            stored = await self.redis.get(self.result_key(command_id))
            return cast(dict[str, Any], json.loads(stored)) if stored else None
        return cast(dict[str, Any], json.loads(popped[1]))

    # -- projections of other services' events --------------------------------------------------
    async def record_request(self, event: ev.SystemAccessRequested) -> bool:
        key = self.request_key(str(event.request_id))
        state = {
            "id": str(event.request_id),
            "requestType": event.request_type.value,
            "systemId": event.system_id,
            "systemName": event.system_name,
            "vendorOrgNo": event.vendor_org_no,
            "partyOrgNo": event.party_org_no,
            "externalRef": event.external_ref,
            "integrationTitle": event.integration_title,
            "rights": list(event.rights),
            "accessPackages": list(event.access_packages),
            "redirectUrl": event.redirect_url,
            "created": event.created.isoformat(),
            "expiresAt": event.expires_at.isoformat(),
            "status": "New",
            "escalated": False,
        }

        async def plan(pipe: Pipeline) -> Write | None:
            if await pipe.exists(key):
                return None

            def write(p: Pipeline) -> None:
                p.set(key, json.dumps(state))
                p.zadd(self.expiry_index, {str(event.request_id): event.expires_at.timestamp()})

            return write

        return await apply_once(
            self.redis, prefix=self.prefix, event_id=event.event_id, plan=plan, watch=[key]
        )

    async def record_withdrawal(self, event: ev.RequestWithdrawn) -> bool:
        key = self.request_key(str(event.request_id))

        async def plan(pipe: Pipeline) -> Write | None:
            raw = await pipe.get(key)
            if raw is None:
                return None
            state = json.loads(raw)
            if state["status"] != "New":
                return None
            state["status"] = "Withdrawn"

            def write(p: Pipeline) -> None:
                p.set(key, json.dumps(state))
                p.zrem(self._pending(state["partyOrgNo"]), state["id"])

            return write

        return await apply_once(
            self.redis, prefix=self.prefix, event_id=event.event_id, plan=plan, watch=[key]
        )

    async def record_system(self, event: ev.SystemRegistered | ev.SystemUpdated | ev.SystemDeleted) -> bool:
        system_id = event.system_id if isinstance(event, ev.SystemDeleted) else event.system.system_id
        key = self._system(system_id)

        async def plan(pipe: Pipeline) -> Write | None:
            def write(p: Pipeline) -> None:
                if isinstance(event, ev.SystemDeleted):
                    p.delete(key)
                else:
                    p.set(key, event.system.model_dump_json(by_alias=True))

            return write

        return await apply_once(
            self.redis, prefix=self.prefix, event_id=event.event_id, plan=plan, watch=[key]
        )

    # -- the decision worker's transaction ---------------------------------------------------------
    async def apply_command(self, command: ev.DecideRequest, decide: Any) -> dict[str, Any] | None:
        """Apply ``decide(state) -> Applied | Refusal`` once per command, atomically with its event.

        Returns the result reported to the waiting portal request, or None if the command was
        already applied (a redelivery).
        """
        key = self.request_key(str(command.request_id))
        command_id = str(command.event_id)
        result: dict[str, Any] = {}

        async def plan(pipe: Pipeline) -> Write | None:
            raw = await pipe.get(key)
            state = json.loads(raw) if raw else None
            decided = await decide(state)
            if isinstance(decided, Refusal):
                result.update(
                    outcome="refused", code=decided.code, detail=decided.detail, status=decided.status
                )
            else:
                result.update(outcome=decided.outcome, status=200)

            def write(p: Pipeline) -> None:
                payload = json.dumps(result)
                if isinstance(decided, Applied):
                    p.set(key, json.dumps(decided.new_state))
                    stage(p, self.outbox, decided.event)
                    self._index(p, decided)
                p.set(self.result_key(command_id), payload, ex=DECISION_RESULT_TTL)
                p.rpush(self.result_list(command_id), payload)
                p.expire(self.result_list(command_id), 120)

            return write

        applied = await apply_once(
            self.redis, prefix=self.prefix, event_id=command_id, plan=plan, watch=[key]
        )
        return result if applied else None

    def _index(self, pipe: Pipeline, decided: Applied) -> None:
        state = decided.new_state
        party = state["partyOrgNo"]
        if decided.outcome == "Accepted":
            access = {
                "id": state["id"],
                "requestType": state["requestType"],
                "systemId": state["systemId"],
                "vendorOrgNo": state["vendorOrgNo"],
                "partyOrgNo": party,
                "externalRef": state["externalRef"],
                "integrationTitle": state["integrationTitle"],
                "rights": state["rights"],
                "accessPackages": state["accessPackages"],
                "createdBy": state["decidedBy"],
                "created": state["decidedAt"],
                "deleted": False,
            }
            pipe.set(self._access(state["id"]), json.dumps(access))
            pipe.sadd(self._party_accesses(party), state["id"])
            pipe.zrem(self._pending(party), state["id"])
        elif decided.outcome == "Rejected":
            pipe.zrem(self._pending(party), state["id"])
        elif decided.outcome == "Escalated":
            created = datetime.fromisoformat(state["created"]).astimezone(UTC)
            expires = datetime.fromisoformat(state["expiresAt"]).astimezone(UTC)
            pipe.zadd(self._pending(party), {state["id"]: created.timestamp()})
            halfway = created + (expires - created) / 2
            pipe.zadd(self.reminder_index, {state["id"]: halfway.timestamp()})
        if decided.outcome in ("Accepted", "Rejected"):
            pipe.zrem(self.expiry_index, state["id"])
            pipe.zrem(self.reminder_index, state["id"])

    # -- clients of a client system access and deletion -----------------------------------------------
    def _clients(self, access_id: str) -> str:
        return f"{self.prefix}:clients:{access_id}"

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(str(c) for c in await self.redis.smembers(self._clients(access_id)))

    async def change_clients(
        self, access_id: str, *, add: list[str], remove: list[str], actor_pid: str
    ) -> tuple[list[str], list[str]]:
        """Add and remove clients atomically, with one ClientAdded/ClientRemoved per actual change."""
        access_key, clients_key = self._access(access_id), self._clients(access_id)
        changes: tuple[list[str], list[str]] = ([], [])

        async def tx(pipe: Pipeline) -> None:
            nonlocal changes
            raw = await pipe.get(access_key)
            current = {str(c) for c in await pipe.smembers(clients_key)}
            begin(pipe)
            if raw is None or json.loads(raw).get("deleted"):
                changes = ([], [])
                return
            access = json.loads(raw)
            added = sorted({c for c in add if c not in current})
            removed = sorted({c for c in remove if c in current})
            if added:
                pipe.sadd(clients_key, *added)
            if removed:
                pipe.srem(clients_key, *removed)
            common = {
                "system_access_id": uuid.UUID(access_id),
                "system_id": access["systemId"],
                "vendor_org_no": access["vendorOrgNo"],
                "facilitator_org_no": access["partyOrgNo"],
            }
            stage(
                pipe,
                self.outbox,
                *(ev.ClientAdded(client_org_no=c, added_by=actor_pid, **common) for c in added),
            )
            stage(
                pipe,
                self.outbox,
                *(ev.ClientRemoved(client_org_no=c, removed_by=actor_pid, **common) for c in removed),
            )
            changes = (added, removed)

        await self.redis.transaction(tx, access_key, clients_key)
        return changes

    async def delete_access(self, access_id: str, party_org_no: str, actor_pid: str) -> bool:
        """Delete a system access once; its clients are released with it."""
        access_key, clients_key = self._access(access_id), self._clients(access_id)
        deleted = False

        async def tx(pipe: Pipeline) -> None:
            nonlocal deleted
            raw = await pipe.get(access_key)
            begin(pipe)
            access = json.loads(raw) if raw else None
            if access is None or access.get("deleted") or access["partyOrgNo"] != party_org_no:
                deleted = False
                return
            access["deleted"] = True
            access["deletedBy"] = actor_pid
            pipe.set(access_key, json.dumps(access))
            pipe.srem(self._party_accesses(party_org_no), access_id)
            pipe.delete(clients_key)
            stage(
                pipe,
                self.outbox,
                ev.SystemAccessDeleted(
                    system_access_id=uuid.UUID(access_id),
                    system_id=access["systemId"],
                    vendor_org_no=access["vendorOrgNo"],
                    party_org_no=party_org_no,
                    external_ref=access["externalRef"],
                    deleted_by=actor_pid,
                ),
            )
            deleted = True

        await self.redis.transaction(tx, access_key, clients_key)
        return deleted

    # -- expiry and reminders ---------------------------------------------------------------------
    async def due(self, index: str, now: datetime, limit: int = 200) -> list[str]:
        found = await self.redis.zrangebyscore(index, "-inf", now.timestamp(), start=0, num=limit)
        return [str(i) for i in found]

    async def expire(self, request_id: str, now: datetime) -> bool:
        """Time out a pending request once: status, index and RequestTimedOut in one transaction."""
        key = self.request_key(request_id)
        expired = False

        async def tx(pipe: Pipeline) -> None:
            nonlocal expired
            raw = await pipe.get(key)
            state = json.loads(raw) if raw else None
            begin(pipe)
            pipe.zrem(self.expiry_index, request_id)
            if state is None or state["status"] != "New":
                return
            if datetime.fromisoformat(state["expiresAt"]) > now:
                return
            state["status"] = "Timedout"
            pipe.set(key, json.dumps(state))
            pipe.zrem(self._pending(state["partyOrgNo"]), request_id)
            pipe.zrem(self.reminder_index, request_id)
            stage(
                pipe,
                self.outbox,
                ev.RequestTimedOut(
                    request_id=uuid.UUID(request_id),
                    system_id=state["systemId"],
                    vendor_org_no=state["vendorOrgNo"],
                    party_org_no=state["partyOrgNo"],
                ),
            )
            expired = True

        await self.redis.transaction(tx, key)
        return expired

    async def remind(self, request_id: str, managers: tuple[str, ...]) -> bool:
        """Trigger the one reminder of an escalated request that is still pending."""
        key = self.request_key(request_id)
        reminded = False

        async def tx(pipe: Pipeline) -> None:
            nonlocal reminded
            raw = await pipe.get(key)
            state = json.loads(raw) if raw else None
            begin(pipe)
            pipe.zrem(self.reminder_index, request_id)
            if state is None or state["status"] != "New" or not state.get("escalated"):
                return
            stage(
                pipe,
                self.outbox,
                ev.EscalationReminderTriggered(
                    request_id=uuid.UUID(request_id),
                    request_type=ev.RequestType(state["requestType"]),
                    system_id=state["systemId"],
                    vendor_org_no=state["vendorOrgNo"],
                    party_org_no=state["partyOrgNo"],
                    access_managers=managers,
                    expires_at=datetime.fromisoformat(state["expiresAt"]),
                ),
            )
            reminded = True

        await self.redis.transaction(tx, key)
        return reminded

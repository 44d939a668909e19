"""approval's state in Redis: pending requests, systems, system accesses, decision results."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import Write, apply_once
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

    def result_key(self, command_id: str) -> str:
        return f"{self.prefix}:decision:{command_id}"

    def result_list(self, command_id: str) -> str:
        return f"{self.prefix}:decision-done:{command_id}"

    # -- reads ------------------------------------------------------------------------------
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
            pipe.zadd(self._pending(party), {state["id"]: created.timestamp()})

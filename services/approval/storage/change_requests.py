"""Change requests in Redis: each change, the access it alters and its outbox event in one transaction.

A decision WATCHes both the change request and its access, so two change requests of one
access decided at once are applied one after the other, each to the access as the other left it.
The decision's result is reported on the keys the portal already waits on (``decision_result``,
``decision_done``), so one waiting mechanism serves requests and change requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import Write, apply_once, begin
from shared.outbox import stage

from ..domain.change_requests import ChangeApplied, ChangeRequestRecord, ChangeTimedOut
from ..domain.models import DecisionOutcome, DecisionResult, SystemAccess
from ..domain.refusals import Refusal
from .history import append_history
from .keys import ApprovalKeys

__all__ = ["DecideChange", "RedisChangeRequests"]

DECISION_RESULT_TTL = timedelta(hours=6)
DECISION_SIGNAL_TTL = timedelta(minutes=2)
DUE_BATCH = 200

DecideChange = Callable[[ChangeRequestRecord | None, SystemAccess | None], Awaitable[ChangeApplied | Refusal]]


def _parse(raw: str | bytes | None) -> ChangeRequestRecord | None:
    return ChangeRequestRecord.model_validate_json(raw) if raw else None


def _access(raw: str | bytes | None) -> SystemAccess | None:
    return SystemAccess.model_validate_json(raw) if raw else None


class RedisChangeRequests:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keys = ApprovalKeys(prefix)

    async def get_change_request(self, change_request_id: str) -> ChangeRequestRecord | None:
        return _parse(await self.redis.get(self.keys.change_request(change_request_id)))

    async def add_change_request(self, change: ChangeRequestRecord, event_id: str) -> bool:
        key = self.keys.change_request(change.id)

        async def plan(pipe: Pipeline) -> Write | None:
            if await pipe.exists(key):
                return None

            def write(p: Pipeline) -> None:
                p.set(key, change.to_json())
                p.zadd(self.keys.change_expiry_index, {change.id: change.expires_at.timestamp()})
                p.sadd(self.keys.access_change_requests(change.system_access_id), change.id)

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=event_id, plan=plan, watch=[key])

    async def withdraw_change_request(
        self,
        change_request_id: str,
        event_id: str,
        rule: Callable[[ChangeRequestRecord | None], ChangeRequestRecord | None],
    ) -> bool:
        key = self.keys.change_request(change_request_id)

        async def plan(pipe: Pipeline) -> Write | None:
            changed = rule(_parse(await pipe.get(key)))
            if changed is None:
                return None

            def write(p: Pipeline) -> None:
                p.set(key, changed.to_json())
                p.zrem(self.keys.change_expiry_index, changed.id)

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=event_id, plan=plan, watch=[key])

    async def apply_change_decision(
        self, command: ev.DecideChangeRequest, decide: DecideChange, *, report: bool = True
    ) -> DecisionResult | None:
        key = self.keys.change_request(str(command.change_request_id))
        command_id = str(command.event_id)
        outcome: list[DecisionResult] = []

        async def plan(pipe: Pipeline) -> Write | None:
            change = _parse(await pipe.get(key))
            access_key = self.keys.access(change.system_access_id) if change else None
            if access_key is not None:
                await pipe.watch(access_key)
            access = _access(await pipe.get(access_key)) if access_key else None
            decided = await decide(change, access)
            result = _result_of(decided)
            outcome[:] = [result]

            def write(p: Pipeline) -> None:
                if isinstance(decided, ChangeApplied):
                    self._persist(p, decided)
                if not report:
                    return  # decided in the portal's own request, which gets the result returned
                payload = result.to_json()
                p.set(self.keys.decision_result(command_id), payload, ex=DECISION_RESULT_TTL)
                p.rpush(self.keys.decision_done(command_id), payload)
                p.expire(self.keys.decision_done(command_id), DECISION_SIGNAL_TTL)

            return write

        applied = await apply_once(
            self.redis, prefix=self.prefix, event_id=command_id, plan=plan, watch=[key]
        )
        return outcome[0] if applied else None

    def _persist(self, pipe: Pipeline, decided: ChangeApplied) -> None:
        change = decided.change_request
        pipe.set(self.keys.change_request(change.id), change.to_json())
        pipe.zrem(self.keys.change_expiry_index, change.id)
        if decided.access is not None:
            pipe.set(self.keys.access(decided.access.id), decided.access.to_json())
        stage(pipe, self.keys.outbox, decided.event)
        append_history(pipe, self.keys, change.system_access_id, decided.history)

    async def due_change_expiries(self, now: datetime) -> list[str]:
        found = await self.redis.zrangebyscore(
            self.keys.change_expiry_index, "-inf", now.timestamp(), start=0, num=DUE_BATCH
        )
        return [str(i) for i in found]

    async def time_out_change_request(
        self, change_request_id: str, rule: Callable[[ChangeRequestRecord | None], ChangeTimedOut | None]
    ) -> bool:
        key = self.keys.change_request(change_request_id)
        timed_out: list[ChangeTimedOut] = []

        async def tx(pipe: Pipeline) -> None:
            outcome = rule(_parse(await pipe.get(key)))
            begin(pipe)
            pipe.zrem(self.keys.change_expiry_index, change_request_id)
            if outcome is None:
                return
            pipe.set(key, outcome.change_request.to_json())
            stage(pipe, self.keys.outbox, outcome.event)
            timed_out[:] = [outcome]

        await self.redis.transaction(tx, key)
        return bool(timed_out)


def _result_of(decided: ChangeApplied | Refusal) -> DecisionResult:
    if isinstance(decided, Refusal):
        return DecisionResult(
            outcome=DecisionOutcome.REFUSED, code=decided.code, detail=decided.detail, reason=decided.reason
        )
    accepted = isinstance(decided.event, ev.SystemAccessChanged)
    return DecisionResult(outcome=DecisionOutcome.ACCEPTED if accepted else DecisionOutcome.REJECTED)

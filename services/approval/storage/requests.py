"""Pending requests in Redis: each change and its outbox event in one transaction.

The rules come from the domain as functions; this module only reads under WATCH, calls the
rule, and writes what it returns together with the idempotency record of the message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared import tracing
from shared.idempotency import Write, apply_once, begin
from shared.outbox import stage

from ..domain.decisions import Applied, Decide
from ..domain.expiry import TimedOut, reminder_due_at
from ..domain.history import HistoryEntry
from ..domain.models import DecisionOutcome, DecisionResult, SystemAccessRequest
from ..domain.refusals import Refusal
from .history import append_history
from .keys import ApprovalKeys

__all__ = ["RedisRequests"]

DECISION_RESULT_TTL = timedelta(hours=6)
DECISION_SIGNAL_TTL = timedelta(minutes=2)
DUE_BATCH = 200
REQUEST_TRACE_GRACE = timedelta(days=1)


def _parse(raw: str | bytes | None) -> SystemAccessRequest | None:
    return SystemAccessRequest.model_validate_json(raw) if raw else None


class RedisRequests:
    def __init__(self, redis: Redis, prefix: str, *, waits: Redis | None = None) -> None:
        self.redis = redis
        # Portal requests block on their decision's result (BLPOP), each holding a connection
        # until the worker answers; with a pool of their own they can never starve the worker
        # (and everything else) of the connections it needs to give that answer.
        self.waits = waits or redis
        self.prefix = prefix
        self.keys = ApprovalKeys(prefix)

    async def get_request(self, request_id: str) -> SystemAccessRequest | None:
        return _parse(await self.redis.get(self.keys.request(request_id)))

    async def pending_escalated(self, org_no: str) -> list[SystemAccessRequest]:
        ids = [str(i) for i in await self.redis.zrange(self.keys.pending(org_no), 0, DUE_BATCH - 1)]
        raws = await self.redis.mget([self.keys.request(i) for i in ids]) if ids else []
        return [SystemAccessRequest.model_validate_json(r) for r in raws if r]

    async def add_request(
        self, request: SystemAccessRequest, event_id: str, history: tuple[HistoryEntry, ...] = ()
    ) -> bool:
        key = self.keys.request(request.id)
        trace = tracing.carrier_json()

        async def plan(pipe: Pipeline) -> Write | None:
            if await pipe.exists(key):
                return None

            def write(p: Pipeline) -> None:
                p.set(key, request.to_json())
                p.zadd(self.keys.expiry_index, {request.id: request.expires_at.timestamp()})
                append_history(p, self.keys, request.id, history)
                if trace:
                    # Kept until the request is decided or times out, at most a day past its expiry.
                    until = int((request.expires_at + REQUEST_TRACE_GRACE).timestamp())
                    p.set(self.keys.request_trace(request.id), trace, exat=until)

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=event_id, plan=plan, watch=[key])

    async def change_request(
        self,
        request_id: str,
        event_id: str,
        change: Callable[[SystemAccessRequest | None], SystemAccessRequest | None],
    ) -> bool:
        key = self.keys.request(request_id)

        async def plan(pipe: Pipeline) -> Write | None:
            changed = change(_parse(await pipe.get(key)))
            if changed is None:
                return None

            def write(p: Pipeline) -> None:
                p.set(key, changed.to_json())
                p.zrem(self.keys.pending(changed.party_org_no), changed.id)

            return write

        return await apply_once(self.redis, prefix=self.prefix, event_id=event_id, plan=plan, watch=[key])

    async def apply_decision(
        self, command: ev.DecideRequest, decide: Decide, *, report: bool = True
    ) -> DecisionResult | None:
        key = self.keys.request(str(command.request_id))
        command_id = str(command.event_id)
        outcome: list[DecisionResult] = []

        async def plan(pipe: Pipeline) -> Write | None:
            decided = await decide(_parse(await pipe.get(key)))
            result = _result_of(decided)
            outcome[:] = [result]

            def write(p: Pipeline) -> None:
                if isinstance(decided, Applied):
                    self._persist(p, decided)
                if not report:
                    return  # decided in the portal's own request, which gets the result returned
                payload = result.to_json()
                p.set(self.keys.decision_result(command_id), payload, ex=DECISION_RESULT_TTL)
                # The portal request waiting on this command wakes on the list, not by polling.
                p.rpush(self.keys.decision_done(command_id), payload)
                p.expire(self.keys.decision_done(command_id), DECISION_SIGNAL_TTL)

            return write

        # The decision continues the trace the request arrived in (from the vendor's POST), linked
        # to the command's own (the portal request that sent it); its event carries that trace on.
        stored_trace = await self.redis.get(self.keys.request_trace(str(command.request_id)))
        arrived_in = tracing.carrier_from_json(str(stored_trace) if stored_trace else None)
        with tracing.span(
            "approval decide",
            parent=arrived_in or None,
            kind=SpanKind.INTERNAL,
            attributes={
                "sysaccess.request_id": str(command.request_id),
                "sysaccess.decision": str(command.decision),
            },
            link_current=bool(arrived_in),
        ) as span:
            applied = await apply_once(
                self.redis, prefix=self.prefix, event_id=command_id, plan=plan, watch=[key]
            )
            if outcome:
                span.set_attribute("sysaccess.outcome", outcome[0].outcome.value)
        return outcome[0] if applied else None

    def _persist(self, pipe: Pipeline, decided: Applied) -> None:
        request, party = decided.request, decided.request.party_org_no
        pipe.set(self.keys.request(request.id), request.to_json())
        stage(pipe, self.keys.outbox, decided.event)
        append_history(pipe, self.keys, request.id, decided.history)
        if decided.access is not None:
            pipe.set(self.keys.access(request.id), decided.access.to_json())
            pipe.sadd(self.keys.party_accesses(party), request.id)
        if decided.outcome is DecisionOutcome.ESCALATED:
            pipe.zadd(self.keys.pending(party), {request.id: request.created.timestamp()})
            pipe.zadd(self.keys.reminder_index, {request.id: reminder_due_at(request).timestamp()})
        else:
            pipe.zrem(self.keys.pending(party), request.id)
            pipe.zrem(self.keys.expiry_index, request.id)
            pipe.zrem(self.keys.reminder_index, request.id)
            pipe.delete(self.keys.request_trace(request.id))

    async def wait_for_result(self, command_id: str, timeout: float) -> DecisionResult | None:
        """Block until the worker reports on a command (or return its stored result)."""
        stored = await self.redis.get(self.keys.decision_result(command_id))
        if stored:
            return DecisionResult.model_validate_json(stored)
        popped = await self.waits.blpop([self.keys.decision_done(command_id)], timeout=timeout)
        if popped is not None:
            return DecisionResult.model_validate_json(popped[1])
        stored = await self.redis.get(self.keys.decision_result(command_id))
        return DecisionResult.model_validate_json(stored) if stored else None

    async def due_expiries(self, now: datetime) -> list[str]:
        return await self._due(self.keys.expiry_index, now)

    async def due_reminders(self, now: datetime) -> list[str]:
        return await self._due(self.keys.reminder_index, now)

    async def _due(self, index: str, now: datetime) -> list[str]:
        found = await self.redis.zrangebyscore(index, "-inf", now.timestamp(), start=0, num=DUE_BATCH)
        return [str(i) for i in found]

    async def time_out(
        self, request_id: str, rule: Callable[[SystemAccessRequest | None], TimedOut | None]
    ) -> bool:
        key = self.keys.request(request_id)
        timed_out: list[TimedOut] = []

        async def tx(pipe: Pipeline) -> None:
            outcome = rule(_parse(await pipe.get(key)))
            begin(pipe)
            pipe.zrem(self.keys.expiry_index, request_id)
            if outcome is None:
                return
            pipe.set(key, outcome.request.to_json())
            pipe.zrem(self.keys.pending(outcome.request.party_org_no), request_id)
            pipe.zrem(self.keys.reminder_index, request_id)
            pipe.delete(self.keys.request_trace(request_id))
            stage(pipe, self.keys.outbox, outcome.event)
            timed_out[:] = [outcome]

        await self.redis.transaction(tx, key)
        return bool(timed_out)

    async def remind(
        self,
        request_id: str,
        rule: Callable[[SystemAccessRequest | None], ev.EscalationReminderTriggered | None],
    ) -> bool:
        key = self.keys.request(request_id)
        reminded: list[ev.EscalationReminderTriggered] = []

        async def tx(pipe: Pipeline) -> None:
            event = rule(_parse(await pipe.get(key)))
            begin(pipe)
            pipe.zrem(self.keys.reminder_index, request_id)
            if event is not None:
                stage(pipe, self.keys.outbox, event)
            reminded[:] = [event] if event is not None else []

        await self.redis.transaction(tx, key)
        return bool(reminded)


def _result_of(decided: Applied | Refusal) -> DecisionResult:
    if isinstance(decided, Refusal):
        return DecisionResult(
            outcome=DecisionOutcome.REFUSED, code=decided.code, detail=decided.detail, reason=decided.reason
        )
    return DecisionResult(outcome=decided.outcome)

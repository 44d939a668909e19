"""System accesses and their clients in Redis; each change and its events in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared.idempotency import begin
from shared.outbox import stage

from ..domain.change_requests import ChangeRequestRecord, deny_change
from ..domain.clients import ClientChanges
from ..domain.deletion import Deleted
from ..domain.models import SystemAccess
from ..domain.refusals import Refusal
from .history import append_history
from .keys import ApprovalKeys

__all__ = ["RedisAccesses"]


def _parse(raw: str | bytes | None) -> SystemAccess | None:
    return SystemAccess.model_validate_json(raw) if raw else None


class RedisAccesses:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = ApprovalKeys(prefix)

    async def get_access(self, access_id: str) -> SystemAccess | None:
        return _parse(await self.redis.get(self.keys.access(access_id)))

    async def accesses_of(self, org_no: str) -> list[SystemAccess]:
        ids = sorted(str(i) for i in await self.redis.smembers(self.keys.party_accesses(org_no)))
        raws = await self.redis.mget([self.keys.access(i) for i in ids]) if ids else []
        found = [SystemAccess.model_validate_json(r) for r in raws if r]
        return [a for a in found if not a.deleted]

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(str(c) for c in await self.redis.smembers(self.keys.clients(access_id)))

    async def change_clients(
        self, access_id: str, plan: Callable[[SystemAccess | None, frozenset[str]], ClientChanges]
    ) -> ClientChanges:
        access_key, clients_key = self.keys.access(access_id), self.keys.clients(access_id)
        planned: list[ClientChanges] = []

        async def tx(pipe: Pipeline) -> None:
            access = _parse(await pipe.get(access_key))
            current = frozenset(str(c) for c in await pipe.smembers(clients_key))
            changes = plan(access, current)
            begin(pipe)
            if changes.added:
                pipe.sadd(clients_key, *changes.added)
            if changes.removed:
                pipe.srem(clients_key, *changes.removed)
            stage(pipe, self.keys.outbox, *changes.events)
            append_history(pipe, self.keys, access_id, changes.history)
            planned[:] = [changes]

        await self.redis.transaction(tx, access_key, clients_key)
        return planned[0]

    async def delete_access(
        self, access_id: str, plan: Callable[[SystemAccess | None], Deleted | Refusal]
    ) -> Deleted | Refusal:
        access_key, clients_key = self.keys.access(access_id), self.keys.clients(access_id)
        changes_key = self.keys.access_change_requests(access_id)
        planned: list[Deleted | Refusal] = []

        async def tx(pipe: Pipeline) -> None:
            outcome = plan(_parse(await pipe.get(access_key)))
            # Its pending change requests are denied with it; watched, so a decision on one of
            # them made meanwhile is seen (the deletion then runs again on what it left).
            change_keys = [self.keys.change_request(str(i)) for i in await pipe.smembers(changes_key)]
            if change_keys:
                await pipe.watch(*change_keys)
            raws = await pipe.mget(change_keys) if change_keys else []
            denied = [
                d for d in (deny_change(ChangeRequestRecord.model_validate_json(r)) for r in raws if r) if d
            ]
            begin(pipe)
            planned[:] = [outcome]
            if isinstance(outcome, Refusal):
                return
            access = outcome.access
            pipe.set(access_key, access.to_json())
            pipe.srem(self.keys.party_accesses(access.party_org_no), access_id)
            pipe.delete(clients_key, changes_key)
            for change in denied:
                pipe.set(self.keys.change_request(change.id), change.to_json())
                pipe.zrem(self.keys.change_expiry_index, change.id)
            stage(pipe, self.keys.outbox, outcome.event)
            append_history(pipe, self.keys, access_id, outcome.history)

        await self.redis.transaction(tx, access_key, clients_key, changes_key)
        return planned[0]

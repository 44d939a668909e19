"""The approval service's outcomes, mirrored into intake's keys once per event id.

Each method runs under ``shared.idempotency.apply_once``: the event id is recorded in the
same MULTI/EXEC as the change, so a redelivered event finds its id and changes nothing.
"""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared.idempotency import Plan, Write, apply_once

from ..domain.accesses import SystemAccess, mark_deleted
from ..domain.change_requests import ChangeRequest, deny_change
from ..domain.requests import NaturalKey, RequestTransition
from .keys import IntakeKeys
from .records import access_by_system_member, decode_access, decode_request, encode_access, encode_request

__all__ = ["RedisOutcomeStore"]


class RedisOutcomeStore:
    """Implements ``services.ports.OutcomeStore``."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def update_request(
        self,
        event_id: UUID,
        request_id: str,
        transition: RequestTransition,
        access: SystemAccess | None = None,
    ) -> bool:
        key = self._keys.request(request_id)

        async def plan(pipe: Pipeline) -> Write | None:
            raw = await pipe.get(key)
            if raw is None:
                return None
            updated = transition(decode_request(raw))

            def write(p: Pipeline) -> None:
                p.set(key, encode_request(updated))
                if access is not None:
                    p.set(self._keys.access(access.id), encode_access(access))
                    p.set(self._keys.live_access(access.natural_key), access.id)
                    p.zadd(
                        self._keys.accesses_by_system(access.system_id), {access_by_system_member(access): 0}
                    )

            return write

        return await self._apply_once(event_id, plan, key)

    async def delete_access(self, event_id: UUID, access_id: str, key: NaturalKey) -> bool:
        access_key = self._keys.access(access_id)
        live_key = self._keys.live_access(key)
        changes_key = self._keys.access_change_requests(access_id)

        async def plan(pipe: Pipeline) -> Write | None:
            raw = await pipe.get(access_key)
            live_id = await pipe.get(live_key)
            if raw is None:
                return None
            deleted = mark_deleted(decode_access(raw))
            denied = await self._pending_changes_denied(pipe, changes_key)

            def write(p: Pipeline) -> None:
                p.set(access_key, encode_access(deleted))
                # A newer access may hold the key by now; only this access's entry goes.
                if live_id == access_id:
                    p.delete(live_key)
                p.delete(self._keys.clients(access_id))
                p.zrem(self._keys.accesses_by_system(deleted.system_id), access_by_system_member(deleted))
                for change in denied:
                    p.set(self._keys.change_request(change.id), change.model_dump_json())

            return write

        return await self._apply_once(event_id, plan, access_key, live_key, changes_key)

    async def _pending_changes_denied(self, pipe: Pipeline, changes_key: str) -> list[ChangeRequest]:
        """The access's pending change requests as Denied; watched, so an outcome stored
        meanwhile makes the deletion run again on it."""
        keys = [self._keys.change_request(str(i)) for i in await pipe.smembers(changes_key)]
        if not keys:
            return []
        await pipe.watch(*keys)
        found = (ChangeRequest.model_validate_json(r) for r in await pipe.mget(keys) if r)
        return [d for d in (deny_change(c) for c in found) if d is not None]

    async def add_client(self, event_id: UUID, access_id: str, client_org_no: str) -> bool:
        clients = self._keys.clients(access_id)

        def write(p: Pipeline) -> None:
            p.sadd(clients, client_org_no)

        async def plan(_pipe: Pipeline) -> Write:
            return write

        return await self._apply_once(event_id, plan)

    async def remove_client(self, event_id: UUID, access_id: str, client_org_no: str) -> bool:
        clients = self._keys.clients(access_id)

        def write(p: Pipeline) -> None:
            p.srem(clients, client_org_no)

        async def plan(_pipe: Pipeline) -> Write:
            return write

        return await self._apply_once(event_id, plan)

    async def _apply_once(self, event_id: UUID, plan: Plan, *watch: str) -> bool:
        return await apply_once(
            self._redis, prefix=self._keys.prefix, event_id=str(event_id), plan=plan, watch=watch
        )

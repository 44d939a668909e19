"""Change requests in Redis: the record, the access's latest one, the per-system list, the outbox.

A new change request is stored under its id (the vendor's correlation id) in one optimistic
transaction with its event: the id is WATCHed, so of N concurrent POSTs with one correlation
id exactly one stores it and the others find it. The approval service's outcomes are applied
once per event id, together with the change to the mirrored access they bring.
"""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.access_changes import AccessChange, apply_change
from shared.idempotency import Write, apply_once, begin
from shared.outbox import stage

from ..domain.applied import Applied
from ..domain.change_requests import ChangeRequest, ChangeRequestTransition, ChangeSlice
from ..domain.paging import PageCursor
from ..domain.requests import NaturalKey
from .keys import IntakeKeys
from .records import decode_access, encode_access, epoch_ms

__all__ = ["RedisChangeRequestStore"]


def _decode(raw: str | bytes | None) -> ChangeRequest | None:
    return ChangeRequest.model_validate_json(raw) if raw else None


def _member(change: ChangeRequest) -> str:
    return f"{epoch_ms(change.created):013d}:{change.id}"


class RedisChangeRequestStore:
    """Implements ``services.ports.ChangeRequestStore``."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def create(
        self, applied: Applied[ChangeRequest, ev.SystemAccessChangeRequested]
    ) -> ChangeRequest | None:
        change = applied.record
        key = self._keys.change_request(change.id)
        existing: list[ChangeRequest] = []

        async def transaction(pipe: Pipeline) -> None:
            found = _decode(await pipe.get(key))
            begin(pipe)
            existing[:] = [found] if found is not None else []
            if found is not None:
                return
            natural_key = NaturalKey(change.system_id, change.party_org_no, change.external_ref)
            pipe.set(key, change.model_dump_json())
            pipe.set(self._keys.latest_change_request(natural_key), change.id)
            pipe.zadd(self._keys.changes_by_system(change.system_id), {_member(change): 0})
            pipe.sadd(self._keys.access_change_requests(change.system_user_id), change.id)
            stage(pipe, self._keys.outbox, applied.event)

        await self._redis.transaction(transaction, key)
        return existing[0] if existing else None

    async def get(self, change_request_id: str) -> ChangeRequest | None:
        return _decode(await self._redis.get(self._keys.change_request(change_request_id)))

    async def find(self, key: NaturalKey) -> ChangeRequest | None:
        change_id = await self._redis.get(self._keys.latest_change_request(key))
        return await self.get(str(change_id)) if change_id else None

    async def page(self, system_id: str, after: PageCursor | None, size: int) -> ChangeSlice:
        start = f"({after.after}" if after else "-"
        members = [
            str(m)
            for m in await self._redis.zrangebylex(
                self._keys.changes_by_system(system_id), start, "+", start=0, num=size + 1
            )
        ]
        page = members[:size]
        raws = (
            await self._redis.mget([self._keys.change_request(m.split(":", 1)[1]) for m in page])
            if page
            else []
        )
        found = tuple(c for c in (_decode(raw) for raw in raws) if c is not None and not c.withdrawn)
        return ChangeSlice(found, PageCursor(page[-1]) if len(members) > size else None)

    async def withdraw(self, applied: Applied[ChangeRequest, ev.ChangeRequestWithdrawn]) -> None:
        key = self._keys.change_request(applied.record.id)

        async def transaction(pipe: Pipeline) -> None:
            current = _decode(await pipe.get(key))
            begin(pipe)
            if current is None or current.withdrawn:
                return  # a concurrent withdrawal won
            pipe.set(key, current.model_copy(update={"withdrawn": True}).model_dump_json())
            stage(pipe, self._keys.outbox, applied.event)

        await self._redis.transaction(transaction, key)

    async def update(
        self,
        event_id: UUID,
        change_request_id: str,
        transition: ChangeRequestTransition,
        access_id: str | None = None,
        change: AccessChange | None = None,
    ) -> bool:
        key = self._keys.change_request(change_request_id)
        access_key = self._keys.access(access_id) if access_id else None

        async def plan(pipe: Pipeline) -> Write | None:
            current = _decode(await pipe.get(key))
            raw_access = await pipe.get(access_key) if access_key else None
            if current is None and raw_access is None:
                return None
            updated = transition(current) if current is not None else None
            access = decode_access(raw_access) if raw_access else None

            def write(p: Pipeline) -> None:
                if updated is not None:
                    p.set(key, updated.model_dump_json())
                if access is not None and access_key is not None and change is not None:
                    rights, packages = apply_change(access.rights, access.access_packages, change)
                    p.set(
                        access_key,
                        encode_access(
                            access.model_copy(update={"rights": rights, "access_packages": packages})
                        ),
                    )

            return write

        watch = [key, access_key] if access_key else [key]
        return await apply_once(
            self._redis, prefix=self._keys.prefix, event_id=str(event_id), plan=plan, watch=watch
        )

"""Access requests in Redis: the record, the natural-key index, the per-system list, the outbox.

A new request is decided and stored in one optimistic transaction: the keys the
duplicate rule reads are WATCHed, the rule (``domain.duplicates``) runs on what they hold,
and the writes go in MULTI/EXEC with the outbox entry. If another writer changed a watched
key in between, EXEC fails and the whole step runs again on fresh state, so N concurrent
POSTs with one natural key store one request and one event.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import begin
from shared.outbox import stage

from ..domain.applied import Applied
from ..domain.duplicates import CreateNew, CreationDecision, decide_creation
from ..domain.paging import PageCursor, RequestSlice
from ..domain.requests import AccessRequest, NaturalKey, mark_withdrawn
from .keys import IntakeKeys
from .records import by_system_member, decode_request, encode_request

__all__ = ["RedisRequestStore"]


class RedisRequestStore:
    """Implements ``services.ports.RequestStore``."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def create(self, applied: Applied[AccessRequest, ev.SystemAccessRequested]) -> CreationDecision:
        request = applied.record
        latest_key, *older_keys = self._latest_keys(request.natural_key, request.request_type)
        access_key = self._keys.live_access(request.natural_key)
        decision: CreationDecision = CreateNew()

        async def transaction(pipe: Pipeline) -> None:
            nonlocal decision
            # The watched keys in one round trip: WATCH, MGET, (the latest request), MULTI/EXEC.
            *latest_ids, access_id = await pipe.mget(latest_key, *older_keys, access_key)
            latest = await self._latest_of_type(pipe, latest_ids, request.request_type)
            decision = decide_creation(
                latest, None if access_id is None else str(access_id), request.created, request.request_type
            )
            begin(pipe)
            if isinstance(decision, CreateNew):
                pipe.set(latest_key, request.id)
                pipe.set(self._keys.request(request.id), encode_request(request))
                pipe.zadd(
                    self._keys.by_system(request.request_type, request.system_id),
                    {by_system_member(request): 0},
                )
                stage(pipe, self._keys.outbox, applied.event)

        await self._redis.transaction(transaction, latest_key, *older_keys, access_key)
        return decision

    def _latest_keys(self, key: NaturalKey, request_type: ev.RequestType) -> list[str]:
        """Where the latest request of a type under a key is named: its own key, and for agent
        requests also the untyped key that agent requests stored before the keys were typed
        still hold (their pending requests must still be found)."""
        typed = self._keys.latest_request(key, request_type)
        untyped = self._keys.untyped_latest_request(key)
        return [typed] if typed == untyped else [typed, untyped]

    async def _latest_of_type(
        self, pipe: Pipeline, request_ids: Sequence[object], request_type: ev.RequestType
    ) -> AccessRequest | None:
        """The first of the named requests that is of the type (the typed key's comes first)."""
        for request_id in request_ids:
            if request_id is None:
                continue
            # Watched too: a status change of the latest request between this read and EXEC
            # would otherwise go unnoticed.
            request_key = self._keys.request(str(request_id))
            await pipe.watch(request_key)
            raw = await pipe.get(request_key)
            found = decode_request(raw) if raw else None
            if found is not None and found.request_type is request_type:
                return found
        return None

    async def get(self, request_id: str) -> AccessRequest | None:
        raw = await self._redis.get(self._keys.request(request_id))
        return decode_request(raw) if raw else None

    async def find(self, key: NaturalKey, request_type: ev.RequestType) -> AccessRequest | None:
        for latest_key in self._latest_keys(key, request_type):
            request_id = await self._redis.get(latest_key)
            found = await self.get(str(request_id)) if request_id else None
            if found is not None and found.request_type is request_type:
                return found
        return None

    async def page(
        self, request_type: ev.RequestType, system_id: str, after: PageCursor | None, size: int
    ) -> RequestSlice:
        start = f"({after.after}" if after else "-"
        members = [
            str(m)
            for m in await self._redis.zrangebylex(
                self._keys.by_system(request_type, system_id), start, "+", start=0, num=size + 1
            )
        ]
        page = members[:size]
        raws = await self._redis.mget([self._keys.request(m.split(":", 1)[1]) for m in page]) if page else []
        requests = tuple(r for r in (decode_request(raw) for raw in raws if raw) if not r.withdrawn)
        return RequestSlice(requests, PageCursor(page[-1]) if len(members) > size else None)

    async def withdraw(self, applied: Applied[AccessRequest, ev.RequestWithdrawn]) -> None:
        key = self._keys.request(applied.record.id)

        async def transaction(pipe: Pipeline) -> None:
            raw = await pipe.get(key)
            current = decode_request(raw) if raw else None
            if current is None or current.withdrawn:
                return
            latest_keys = self._latest_keys(current.natural_key, current.request_type)
            latest_ids = await pipe.mget(latest_keys)
            begin(pipe)
            pipe.set(key, encode_request(mark_withdrawn(current)))
            for latest_key, latest_id in zip(latest_keys, latest_ids, strict=True):
                if latest_id == current.id:
                    pipe.delete(latest_key)
            stage(pipe, self._keys.outbox, applied.event)

        await self._redis.transaction(transaction, key)

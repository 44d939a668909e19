"""Reads of the system accesses intake mirrors (written by ``outcomes``).

``find_access`` is on every system-user token's path (Maskinporten's lookup and the token
endpoint), so concurrent calls are coalesced: every lookup asked for while the event loop
runs one round of callbacks is answered by one ``MGET`` of the natural keys and one ``MGET``
of the accesses they name. Alone, a lookup costs the two round trips it always did; under load,
a few hundred microseconds of client work per lookup become a few tens. Each answer still
reads Redis after it was asked, so a deleted access is never served from memory.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from ..domain.accesses import SystemAccess
from ..domain.paging import AccessSlice, PageCursor
from ..domain.requests import NaturalKey
from .keys import IntakeKeys
from .records import decode_access

__all__ = ["RedisAccessReader"]

MAX_BATCH = 256


class _CoalescedLookups:
    """Natural keys in, the raw accesses they name out, a batch per event-loop round."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._pending: list[tuple[str, asyncio.Future[bytes | str | None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def find(self, live_key: str) -> bytes | str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes | str | None] = loop.create_future()
        self._pending.append((live_key, future))
        if len(self._pending) == 1:
            # Runs after the callbacks that are ready now: their lookups join this batch.
            loop.call_soon(self._flush)
        elif len(self._pending) >= MAX_BATCH:
            self._flush()
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.create_task(self._answer(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, batch: list[tuple[str, asyncio.Future[bytes | str | None]]]) -> None:
        try:
            ids = await self._redis.mget([key for key, _ in batch])
            wanted = [self._keys.access(_text(i)) for i in ids if i]
            found = iter(await self._redis.mget(wanted) if wanted else [])
            answers = [next(found) if i else None for i in ids]
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # every waiter gets the failure, none waits forever
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), raw in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(raw)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisAccessReader:
    """Implements ``services.ports.AccessReader``."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._lookups = _CoalescedLookups(redis, keys)

    async def get_access(self, access_id: str) -> SystemAccess | None:
        raw = await self._redis.get(self._keys.access(access_id))
        return decode_access(raw) if raw else None

    async def find_access(self, key: NaturalKey) -> SystemAccess | None:
        raw = await self._lookups.find(self._keys.live_access(key))
        return decode_access(raw) if raw else None

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(str(c) for c in await self._redis.smembers(self._keys.clients(access_id)))

    async def page_by_system(self, system_id: str, after: PageCursor | None, size: int) -> AccessSlice:
        start = f"({after.after}" if after else "-"
        members = [
            _text(m)
            for m in await self._redis.zrangebylex(
                self._keys.accesses_by_system(system_id), start, "+", start=0, num=size + 1
            )
        ]
        page = members[:size]
        raws = await self._redis.mget([self._keys.access(m.split(":", 1)[1]) for m in page]) if page else []
        # A deletion removes the entry with the access's change; the filter is for a reader that
        # raced it between the two reads.
        accesses = tuple(a for a in (decode_access(raw) for raw in raws if raw) if not a.is_deleted)
        return AccessSlice(accesses, PageCursor(page[-1]) if len(members) > size else None)

"""Idempotent-consumer guard: apply a message's effect once per event id, atomically.

The event id is recorded in the same MULTI/EXEC as the state change, under WATCH, so a
redelivered message (after a crash before the offset commit) finds its id and changes
nothing, and two concurrent deliveries cannot both pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

Write = Callable[[Pipeline], None]
Plan = Callable[[Pipeline], Awaitable[Write | None]]

DEFAULT_RETENTION = timedelta(days=30)


def begin(pipe: Pipeline) -> None:
    """Switch a WATCHing pipeline from immediate reads to the queued MULTI block."""
    pipe.multi()  # type: ignore[no-untyped-call]


def inbox_key(prefix: str, event_id: UUID | str) -> str:
    return f"{prefix}:inbox:{event_id}"


async def apply_once(
    redis: Redis,
    *,
    prefix: str,
    event_id: UUID | str,
    plan: Plan,
    watch: Sequence[str] = (),
    retention: timedelta = DEFAULT_RETENTION,
) -> bool:
    """Run ``plan`` (reads, under WATCH) and the writes it returns, once per event id.

    ``plan`` gets the pipeline in immediate mode for reads and returns a function that
    queues the writes (or None for "nothing to change"). Returns False when the event was
    already applied.
    """
    key = inbox_key(prefix, event_id)
    applied = True

    async def transaction(pipe: Pipeline) -> None:
        nonlocal applied
        if await pipe.exists(key):
            applied = False
            return
        write = await plan(pipe)
        begin(pipe)
        if write is not None:
            write(pipe)
        pipe.set(key, "1", ex=retention)

    await redis.transaction(transaction, key, *watch)
    return applied

"""The system register in Redis: one JSON value per system, and a set of ids per vendor."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import begin
from shared.outbox import stage

from ..domain.applied import Applied
from ..domain.systems import RegisteredSystem
from .keys import IntakeKeys
from .records import decode_system, encode_system

__all__ = ["RedisSystemStore"]

DECODED_KEPT = 1024


class RedisSystemStore:
    """Implements ``services.ports.SystemStore``; each write and its event go in one MULTI/EXEC."""

    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._decoded: dict[str | bytes, RegisteredSystem] = {}

    async def get(self, system_id: str) -> RegisteredSystem | None:
        raw = await self._redis.get(self._keys.system(system_id))
        if not raw:
            return None
        # Every POST reads its system; decode each stored version once (systems are frozen).
        decoded = self._decoded.get(raw)
        if decoded is None:
            decoded = decode_system(raw)
            if len(self._decoded) >= DECODED_KEPT:
                self._decoded.clear()
            self._decoded[raw] = decoded
        return decoded

    async def list_for_vendor(self, vendor_org_no: str) -> list[RegisteredSystem]:
        ids = sorted(str(i) for i in await self._redis.smembers(self._keys.vendor_systems(vendor_org_no)))
        if not ids:
            return []
        raws = await self._redis.mget([self._keys.system(i) for i in ids])
        return [decode_system(raw) for raw in raws if raw]

    async def add(self, applied: Applied[RegisteredSystem, ev.SystemRegistered]) -> bool:
        return await self._write(applied, must_be_new=True)

    async def save(
        self,
        applied: Applied[RegisteredSystem, ev.SystemUpdated | ev.SystemDeleted | ev.WebhookSecretsChanged],
    ) -> None:
        await self._write(applied, must_be_new=False)

    async def _write(self, applied: Applied[RegisteredSystem, ev.Message], *, must_be_new: bool) -> bool:
        system = applied.record
        key = self._keys.system(system.id)
        stored = True

        async def transaction(pipe: Pipeline) -> None:
            nonlocal stored
            # Under WATCH: a concurrent registration of the same id makes EXEC fail and retry.
            if must_be_new and await pipe.exists(key):
                stored = False
                return
            begin(pipe)
            pipe.set(key, encode_system(system))
            pipe.sadd(self._keys.vendor_systems(system.vendor_org_no), system.id)
            stage(pipe, self._keys.outbox, *applied.events)

        await self._redis.transaction(transaction, key)
        return stored

"""The system register in Redis: one JSON value per system, a set of ids per vendor, the owner of
each client id, and each system's change log."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import begin
from shared.outbox import stage

from ..domain.applied import Applied
from ..domain.system_changes import (
    MAX_CHANGELOG_ENTRIES,
    SystemChange,
    client_id_key,
    client_ids_in_use,
    client_ids_taken,
    holds_client_id,
)
from ..domain.systems import RegisteredSystem
from .keys import IntakeKeys
from .records import decode_change, decode_system, encode_change, encode_system

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

    async def changelog(self, system_id: str) -> list[SystemChange]:
        return [
            decode_change(raw) for raw in await self._redis.lrange(self._keys.changelog(system_id), 0, -1)
        ]

    async def add(
        self, applied: Applied[RegisteredSystem, ev.SystemRegistered], change: SystemChange | None = None
    ) -> bool:
        return await self._write(applied, change, must_be_new=True)

    async def save(
        self,
        applied: Applied[RegisteredSystem, ev.SystemUpdated | ev.SystemDeleted | ev.WebhookSecretsChanged],
        change: SystemChange | None = None,
    ) -> None:
        await self._write(applied, change, must_be_new=False)

    async def _write(
        self,
        applied: Applied[RegisteredSystem, ev.Message],
        change: SystemChange | None,
        *,
        must_be_new: bool,
    ) -> bool:
        system = applied.record
        key = self._keys.system(system.id)
        stored = True
        taken: tuple[str, ...] = ()

        async def transaction(pipe: Pipeline) -> None:
            nonlocal stored, taken
            # Under WATCH: a concurrent registration of the same id makes EXEC fail and retry.
            previous_raw = await pipe.get(key)
            if must_be_new and previous_raw:
                stored = False
                return
            previous = decode_system(previous_raw) if previous_raw else None
            listed = () if system.is_deleted else system.spec.client_id
            wanted = {client_id_key(c): c for c in listed}
            # Watched too: two systems claiming one client id at once cannot both pass.
            owner_keys = [self._keys.client_id_owner(k) for k in wanted]
            owners: dict[str, str | None] = {}
            if owner_keys:
                await pipe.watch(*owner_keys)
                found = await pipe.mget(owner_keys)
                owners = {k: None if o is None else _text(o) for k, o in zip(wanted, found, strict=True)}
                owners = await self._live_owners(pipe, owners, system.id)
            taken = client_ids_in_use(listed, owners, system.id)
            if taken:
                return
            dropped = {
                client_id_key(c)
                for c in (previous.spec.client_id if previous and not previous.is_deleted else ())
            } - set(wanted)
            # Only this system's own entries go (one written before the index existed may not be).
            released = [self._keys.client_id_owner(k) for k in sorted(dropped)]
            if released:
                await pipe.watch(*released)
                holders = await pipe.mget(released)
                released = [
                    k
                    for k, h in zip(released, holders, strict=True)
                    if h is not None and _text(h) == system.id
                ]
            begin(pipe)
            pipe.set(key, encode_system(system))
            pipe.sadd(self._keys.vendor_systems(system.vendor_org_no), system.id)
            for owner_key in owner_keys:
                pipe.set(owner_key, system.id)
            if released:
                pipe.delete(*released)
            if change is not None:
                log = self._keys.changelog(system.id)
                pipe.rpush(log, encode_change(change))
                pipe.ltrim(log, -MAX_CHANGELOG_ENTRIES, -1)
            stage(pipe, self._keys.outbox, *applied.events)

        await self._redis.transaction(transaction, key)
        if taken:
            raise client_ids_taken(taken)
        return stored

    async def _live_owners(
        self, pipe: Pipeline, owners: dict[str, str | None], system_id: str
    ) -> dict[str, str | None]:
        """``owners`` with every entry of another system checked against that system's record:
        an entry whose system is gone, deleted or no longer lists the client id holds nothing.
        The records are WATCHed too, so a system changed meanwhile makes the step run again."""
        others = sorted({o for o in owners.values() if o is not None and o != system_id})
        if not others:
            return owners
        record_keys = [self._keys.system(o) for o in others]
        await pipe.watch(*record_keys)
        records = dict(zip(others, await pipe.mget(record_keys), strict=True))
        return {
            k: o if o is None or o == system_id or holds_client_id(_decoded(records.get(o)), k) else None
            for k, o in owners.items()
        }


def _decoded(raw: bytes | str | None) -> RegisteredSystem | None:
    return decode_system(raw) if raw else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

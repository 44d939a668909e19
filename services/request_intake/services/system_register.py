"""Use cases of the system register: a vendor registers, replaces, reads and deletes its systems."""

from __future__ import annotations

from dataclasses import dataclass

from shared.webhooks import derive_secret
from shared.world import World

from ..domain.systems import (
    RegisteredSystem,
    SystemSpec,
    deletion,
    owned_system,
    registration,
    replacement,
    reveals_webhook_secret,
    system_id_taken,
)
from .ports import Clock, SystemStore, utc_now

__all__ = ["SystemRegister", "SystemRegistration"]


@dataclass(frozen=True, slots=True)
class SystemRegistration:
    """A stored system, and its webhook signing secret when this call is the one that reveals it."""

    system: RegisteredSystem
    webhook_secret: str | None = None


class SystemRegister:
    """The vendor's system register."""

    def __init__(
        self,
        systems: SystemStore,
        world: World,
        *,
        webhook_master_key: str,
        insecure_loopback_webhooks: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        self._systems = systems
        self._world = world
        self._webhook_master_key = webhook_master_key
        # Development only: lets a vendor register an http://127.0.0.1 webhook receiver.
        self._insecure_loopback_webhooks = insecure_loopback_webhooks
        self._clock = clock

    async def register(self, spec: SystemSpec, vendor_org: str) -> SystemRegistration:
        applied = registration(
            spec,
            vendor_org,
            self._world,
            self._clock(),
            insecure_loopback_webhooks=self._insecure_loopback_webhooks,
        )
        if not await self._systems.add(applied):
            raise system_id_taken(spec.id)
        return self._registration(applied.record, previous=None)

    async def replace(self, system_id: str, spec: SystemSpec, vendor_org: str) -> SystemRegistration:
        existing = await self.get(system_id, vendor_org)
        applied = replacement(
            existing,
            spec,
            vendor_org,
            self._world,
            self._clock(),
            insecure_loopback_webhooks=self._insecure_loopback_webhooks,
        )
        await self._systems.save(applied)
        return self._registration(applied.record, previous=existing)

    async def delete(self, system_id: str, vendor_org: str) -> None:
        existing = await self.get(system_id, vendor_org)
        await self._systems.save(deletion(existing, self._clock()))

    async def get(self, system_id: str, vendor_org: str) -> RegisteredSystem:
        return owned_system(await self._systems.get(system_id), system_id, vendor_org)

    async def list_for_vendor(self, vendor_org: str) -> list[RegisteredSystem]:
        return [s for s in await self._systems.list_for_vendor(vendor_org) if not s.is_deleted]

    async def seed(self) -> None:
        """Register the seed file's systems that do not exist yet (development start-up)."""
        for raw in self._world.systems:
            spec = SystemSpec.model_validate(raw)
            if await self._systems.get(spec.id) is None:
                await self.register(spec, spec.vendor.ID.partition(":")[2])

    def _registration(
        self, system: RegisteredSystem, previous: RegisteredSystem | None
    ) -> SystemRegistration:
        if not reveals_webhook_secret(system, previous):
            return SystemRegistration(system)
        return SystemRegistration(system, derive_secret(self._webhook_master_key, system.id))

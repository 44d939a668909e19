"""Use cases of the system register: a vendor registers, replaces, reads and deletes its systems,
replaces only their rights or access packages, reads their change log, and rotates the signing
secret of its webhook.

Each change a vendor makes (create, update, rights, packages, delete) is logged with who made it
(the vendor's organisation and the token's Maskinporten client), in the same atomic step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from shared import webhooks
from shared.world import World

from ..domain.references import AccessPackageRef, Right
from ..domain.system_changes import ChangeType, SystemChange, change_of, packages_change, rights_change
from ..domain.systems import (
    RegisteredSystem,
    SystemSpec,
    WebhookKey,
    deletion,
    needs_new_webhook_secret,
    owned_system,
    registration,
    replacement,
    rotation,
    system_id_taken,
)
from .ports import Clock, SecretSealer, SystemStore, utc_now

__all__ = ["SystemRegister", "SystemRegistration"]


@dataclass(frozen=True, slots=True)
class SystemRegistration:
    """A stored system, and its new webhook signing secret when this call created one.

    The secret is random (``shared.webhooks.new_secret``), stored only sealed, and shown
    to the vendor this once.
    """

    system: RegisteredSystem
    webhook_secret: str | None = None


class SystemRegister:
    """The vendor's system register."""

    def __init__(
        self,
        systems: SystemStore,
        world: World,
        *,
        sealer: SecretSealer,
        secret_grace: timedelta = timedelta(hours=24),
        new_secret: Callable[[], str] = webhooks.new_secret,
        insecure_loopback_webhooks: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        self._systems = systems
        self._world = world
        self._sealer = sealer
        self._secret_grace = secret_grace
        self._new_secret = new_secret
        # Development only: lets a vendor register an http://127.0.0.1 webhook receiver.
        self._insecure_loopback_webhooks = insecure_loopback_webhooks
        self._clock = clock

    async def register(
        self, spec: SystemSpec, vendor_org: str, client_id: str | None = None
    ) -> SystemRegistration:
        secret = self._new_secret() if needs_new_webhook_secret(spec, None) else None
        applied = registration(
            spec,
            vendor_org,
            self._world,
            self._clock(),
            insecure_loopback_webhooks=self._insecure_loopback_webhooks,
            new_key=self._sealed(spec.id, secret),
        )
        change = change_of(
            applied.record,
            ChangeType.CREATE,
            by_org=vendor_org,
            client_id=client_id,
            changed_data=_json(spec),
        )
        if not await self._systems.add(applied, change):
            raise system_id_taken(spec.id)
        return SystemRegistration(applied.record, secret)

    async def replace(
        self, system_id: str, spec: SystemSpec, vendor_org: str, client_id: str | None = None
    ) -> SystemRegistration:
        existing = await self.get(system_id, vendor_org)
        secret = self._new_secret() if needs_new_webhook_secret(spec, existing) else None
        applied = replacement(
            existing,
            spec,
            vendor_org,
            self._world,
            self._clock(),
            insecure_loopback_webhooks=self._insecure_loopback_webhooks,
            new_key=self._sealed(existing.id, secret),
        )
        change = change_of(
            applied.record,
            ChangeType.UPDATE,
            by_org=vendor_org,
            client_id=client_id,
            changed_data=_json(spec),
        )
        await self._systems.save(applied, change)
        return SystemRegistration(applied.record, secret)

    async def replace_rights(
        self, system_id: str, rights: Sequence[Right], vendor_org: str, client_id: str | None = None
    ) -> RegisteredSystem:
        """Altinn's ``PUT vendor/{id}/rights``: the system's rights become ``rights``."""
        existing = await self.get(system_id, vendor_org)
        applied = rights_change(existing, rights, vendor_org, self._world, self._clock())
        data = [r.model_dump(mode="json", exclude_none=True) for r in rights]
        change = change_of(
            applied.record,
            ChangeType.RIGHTS_UPDATE,
            by_org=vendor_org,
            client_id=client_id,
            changed_data=data,
        )
        await self._systems.save(applied, change)
        return applied.record

    async def replace_access_packages(
        self,
        system_id: str,
        packages: Sequence[AccessPackageRef],
        vendor_org: str,
        client_id: str | None = None,
    ) -> RegisteredSystem:
        """Altinn's ``PUT vendor/{id}/accesspackages``: the system's packages become ``packages``."""
        existing = await self.get(system_id, vendor_org)
        applied = packages_change(existing, packages, vendor_org, self._world, self._clock())
        data = [p.model_dump(mode="json") for p in packages]
        change = change_of(
            applied.record,
            ChangeType.ACCESS_PACKAGE_UPDATE,
            by_org=vendor_org,
            client_id=client_id,
            changed_data=data,
        )
        await self._systems.save(applied, change)
        return applied.record

    async def changelog(self, system_id: str, vendor_org: str) -> list[SystemChange]:
        """The owning vendor's view of every change to its live system, oldest first."""
        await self.get(system_id, vendor_org)
        return await self._systems.changelog(system_id)

    async def rotate_webhook_secret(self, system_id: str, vendor_org: str) -> SystemRegistration:
        """A new signing secret, shown once; the old one signs too until its grace period ends."""
        existing = await self.get(system_id, vendor_org)
        secret = self._new_secret()
        key = WebhookKey(sealed=self._sealer.seal(secret, webhooks.sealing_context(existing.id)))
        applied = rotation(existing, key, self._clock(), self._secret_grace)
        await self._systems.save(applied)
        return SystemRegistration(applied.record, secret)

    async def delete(self, system_id: str, vendor_org: str, client_id: str | None = None) -> None:
        existing = await self.get(system_id, vendor_org)
        applied = deletion(existing, self._clock())
        change = change_of(applied.record, ChangeType.DELETE, by_org=vendor_org, client_id=client_id)
        await self._systems.save(applied, change)

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

    def _sealed(self, system_id: str, secret: str | None) -> WebhookKey | None:
        if secret is None:
            return None
        return WebhookKey(sealed=self._sealer.seal(secret, webhooks.sealing_context(system_id)))


def _json(spec: SystemSpec) -> dict[str, object]:
    """The system as the vendor sent it, in the API's JSON (camelCase)."""
    return spec.model_dump(mode="json", by_alias=True)

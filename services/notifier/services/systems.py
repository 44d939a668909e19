"""Keep the notifier's copy of the system register current, from the register's events."""

from __future__ import annotations

from shared import events as ev

from .ports import SystemCatalog, WebhookSecretStore

__all__ = ["SystemProjection"]


class SystemProjection:
    """Projects the register's events onto the notifier's system catalog (last write wins) and
    its store of sealed webhook signing secrets (newest generation wins)."""

    def __init__(self, catalog: SystemCatalog, secrets: WebhookSecretStore) -> None:
        self._catalog = catalog
        self._secrets = secrets

    async def record(self, event: ev.SystemRegistered | ev.SystemUpdated) -> None:
        await self._catalog.save(event.system)

    async def record_secrets(self, event: ev.WebhookSecretsChanged) -> None:
        await self._secrets.save(event)

    async def forget(self, event: ev.SystemDeleted) -> None:
        await self._catalog.remove(event.system_id)
        await self._secrets.remove(event.system_id)

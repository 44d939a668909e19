"""Keep the notifier's copy of the system register current, from the register's events."""

from __future__ import annotations

from shared import events as ev

from .ports import SystemCatalog

__all__ = ["SystemProjection"]


class SystemProjection:
    """Projects the register's events onto the notifier's system catalog (last write wins)."""

    def __init__(self, catalog: SystemCatalog) -> None:
        self._catalog = catalog

    async def record(self, event: ev.SystemRegistered | ev.SystemUpdated) -> None:
        await self._catalog.save(event.system)

    async def forget(self, event: ev.SystemDeleted) -> None:
        await self._catalog.remove(event.system_id)

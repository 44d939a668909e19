"""SystemProjection: the notifier's copy of the register follows its events."""

from __future__ import annotations

import pytest

from services.notifier.services.systems import SystemProjection
from shared import events as ev

from .fakes import SYSTEM_ID, InMemorySystemCatalog, system

pytestmark = pytest.mark.unit


async def test_a_registered_system_is_recorded() -> None:
    catalog = InMemorySystemCatalog()
    await SystemProjection(catalog).record(ev.SystemRegistered(system=system()))
    assert catalog.systems == {SYSTEM_ID: system()}


async def test_an_update_replaces_what_was_known() -> None:
    catalog = InMemorySystemCatalog(system())
    await SystemProjection(catalog).record(ev.SystemUpdated(system=system(webhook_url=None)))
    assert catalog.systems[SYSTEM_ID].webhook_url is None


async def test_a_deleted_system_is_forgotten() -> None:
    catalog = InMemorySystemCatalog(system())
    await SystemProjection(catalog).forget(ev.SystemDeleted(system_id=SYSTEM_ID, vendor_org_no="314000110"))
    assert catalog.systems == {}

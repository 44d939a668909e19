"""SystemProjection: the notifier's copy of the register and of the sealed signing secrets follows
the register's events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifier.services.systems import SystemProjection
from shared import events as ev

from .fakes import SYSTEM_ID, InMemorySystemCatalog, InMemoryWebhookSecrets, secrets_changed, system

pytestmark = pytest.mark.unit


def projection(
    catalog: InMemorySystemCatalog, secrets: InMemoryWebhookSecrets | None = None
) -> SystemProjection:
    return SystemProjection(catalog, secrets or InMemoryWebhookSecrets())


async def test_a_registered_system_is_recorded() -> None:
    catalog = InMemorySystemCatalog()
    await projection(catalog).record(ev.SystemRegistered(system=system()))
    assert catalog.systems == {SYSTEM_ID: system()}


async def test_an_update_replaces_what_was_known() -> None:
    catalog = InMemorySystemCatalog(system())
    await projection(catalog).record(ev.SystemUpdated(system=system(webhook_url=None)))
    assert catalog.systems[SYSTEM_ID].webhook_url is None


async def test_a_deleted_system_is_forgotten_with_its_secrets() -> None:
    catalog, secrets = InMemorySystemCatalog(system()), InMemoryWebhookSecrets()
    await projection(catalog, secrets).record_secrets(secrets_changed(1, "s1"))
    await projection(catalog, secrets).forget(
        ev.SystemDeleted(system_id=SYSTEM_ID, vendor_org_no="314000110")
    )
    assert catalog.systems == {}
    assert await secrets.sealed(SYSTEM_ID) == ()


async def test_secrets_follow_the_newest_generation() -> None:
    secrets = InMemoryWebhookSecrets()
    use_case = projection(InMemorySystemCatalog(), secrets)
    await use_case.record_secrets(secrets_changed(2, "s2", ("s1", datetime(2030, 1, 1, tzinfo=UTC))))
    await use_case.record_secrets(secrets_changed(1, "s1"))  # late, older: ignored
    assert [s.sealed for s in await secrets.sealed(SYSTEM_ID)] == ["s2", "s1"]

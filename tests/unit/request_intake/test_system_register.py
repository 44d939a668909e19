"""SystemRegister: register, replace, read and delete systems, with in-memory storage."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from services.request_intake.domain.refusals import Refusal, RefusalKind
from services.request_intake.services.system_register import SystemRegister
from services.request_intake.storage.records import encode_system
from shared import events as ev
from shared.sealing import SecretBox
from shared.webhooks import sealing_context
from tests.unit.request_intake.conftest import GRACE, SEAL_KEY
from tests.unit.request_intake.fakes import FLINK, SMARTCLOUD, SYSTEM_ID, T0, FakeClock, Memory, seeded_spec

pytestmark = pytest.mark.unit

HOOK = "https://smartcloud.example/hook"


async def test_register_stores_the_system_with_its_event(systems: SystemRegister, memory: Memory) -> None:
    registration = await systems.register(seeded_spec(), SMARTCLOUD)
    assert registration.system == memory.systems[SYSTEM_ID]
    assert (registration.system.created, registration.system.updated) == (T0, T0)
    assert registration.webhook_secret is None
    [event] = memory.outbox
    assert isinstance(event, ev.SystemRegistered)
    assert event.system.system_id == SYSTEM_ID
    assert event.system.vendor_org_no == SMARTCLOUD


def opened(event: ev.Message) -> list[str]:
    """The secrets of a WebhookSecretsChanged event, opened as the notifier opens them."""
    assert isinstance(event, ev.WebhookSecretsChanged)
    box = SecretBox([SEAL_KEY])
    return [box.open(s.sealed, sealing_context(event.system_id)) for s in event.secrets]


async def test_register_reveals_a_random_webhook_secret_and_stores_it_sealed(
    systems: SystemRegister, memory: Memory
) -> None:
    registration = await systems.register(seeded_spec(webhookUrl=HOOK), SMARTCLOUD)
    secret = registration.webhook_secret
    assert secret is not None
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 32
    registered, secrets = memory.outbox
    assert isinstance(registered, ev.SystemRegistered)
    assert opened(secrets) == [secret]
    # Neither the stored record nor any event holds the secret in the clear.
    assert secret not in encode_system(memory.systems[SYSTEM_ID])
    assert all(secret not in e.model_dump_json() for e in memory.outbox)


async def test_every_system_gets_its_own_secret(systems: SystemRegister) -> None:
    first = await systems.register(seeded_spec(webhookUrl=HOOK), SMARTCLOUD)
    # Its own client id too: a client id names one system.
    second_spec = seeded_spec(id="314000110_second", clientId=["second-client"], webhookUrl=HOOK)
    second = await systems.register(second_spec, SMARTCLOUD)
    assert first.webhook_secret != second.webhook_secret


async def test_rotation_returns_a_new_secret_and_keeps_the_old_one_in_grace(
    systems: SystemRegister, memory: Memory, clock: FakeClock
) -> None:
    old = (await systems.register(seeded_spec(webhookUrl=HOOK), SMARTCLOUD)).webhook_secret
    clock.advance(timedelta(minutes=5))
    rotated = await systems.rotate_webhook_secret(SYSTEM_ID, SMARTCLOUD)
    assert rotated.webhook_secret not in (None, old)
    event = memory.outbox[-1]
    assert isinstance(event, ev.WebhookSecretsChanged)
    assert opened(event) == [rotated.webhook_secret, old]
    assert [s.not_after for s in event.secrets] == [None, clock.now + GRACE]
    assert (await systems.get(SYSTEM_ID, SMARTCLOUD)).webhook_keys_generation == 2


async def test_only_the_owner_rotates_and_only_a_system_with_a_webhook(systems: SystemRegister) -> None:
    await systems.register(seeded_spec(webhookUrl=HOOK), SMARTCLOUD)
    with pytest.raises(Refusal) as refused:
        await systems.rotate_webhook_secret(SYSTEM_ID, FLINK)
    assert refused.value.kind is RefusalKind.NOT_FOUND
    await systems.replace(SYSTEM_ID, seeded_spec(), SMARTCLOUD)
    with pytest.raises(Refusal) as refused:
        await systems.rotate_webhook_secret(SYSTEM_ID, SMARTCLOUD)
    assert refused.value.code == "AUTH.VLD-00005"


async def test_a_taken_id_is_refused(systems: SystemRegister, memory: Memory) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    with pytest.raises(Refusal) as refused:
        await systems.register(seeded_spec(), SMARTCLOUD)
    assert (refused.value.kind, refused.value.code) == (RefusalKind.INVALID, "AUTH.VLD-00002")
    assert len(memory.outbox) == 1


async def test_an_invalid_system_writes_nothing(systems: SystemRegister, memory: Memory) -> None:
    with pytest.raises(Refusal):
        await systems.register(seeded_spec(name={"nb": " "}), SMARTCLOUD)
    assert memory.systems == {}
    assert memory.outbox == []


async def test_replace_keeps_created_and_moves_updated(
    systems: SystemRegister, memory: Memory, clock: FakeClock
) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    clock.advance(timedelta(hours=1))
    replaced = await systems.replace(SYSTEM_ID, seeded_spec(name={"nb": "Ny"}), SMARTCLOUD)
    assert replaced.system.spec.name == {"nb": "Ny"}
    assert (replaced.system.created, replaced.system.updated) == (T0, T0 + timedelta(hours=1))
    assert isinstance(memory.outbox[-1], ev.SystemUpdated)


async def test_replace_reveals_the_secret_only_when_the_webhook_is_new(
    systems: SystemRegister, memory: Memory
) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    first = await systems.replace(SYSTEM_ID, seeded_spec(webhookUrl=HOOK), SMARTCLOUD)
    assert opened(memory.outbox[-1]) == [first.webhook_secret]
    again = await systems.replace(SYSTEM_ID, seeded_spec(webhookUrl=HOOK + "2"), SMARTCLOUD)
    assert first.webhook_secret is not None
    assert again.webhook_secret is None
    assert isinstance(memory.outbox[-1], ev.SystemUpdated)


async def test_replace_with_another_id_in_the_body_is_refused(systems: SystemRegister) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    with pytest.raises(Refusal) as refused:
        await systems.replace(SYSTEM_ID, seeded_spec(id="314000110_other"), SMARTCLOUD)
    assert refused.value.code == "AUTH.VLD-00012"


async def test_another_vendors_system_is_not_found(systems: SystemRegister) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    for call in (
        systems.get(SYSTEM_ID, FLINK),
        systems.replace(SYSTEM_ID, seeded_spec(), FLINK),
        systems.delete(SYSTEM_ID, FLINK),
    ):
        with pytest.raises(Refusal) as refused:
            await call
        assert (refused.value.kind, refused.value.code) == (RefusalKind.NOT_FOUND, "AUTH-00011")


async def test_delete_marks_the_system_and_hides_it(systems: SystemRegister, memory: Memory) -> None:
    await systems.register(seeded_spec(), SMARTCLOUD)
    await systems.delete(SYSTEM_ID, SMARTCLOUD)
    assert memory.systems[SYSTEM_ID].is_deleted
    assert memory.outbox[-1] == ev.SystemDeleted(
        event_id=memory.outbox[-1].event_id,
        occurred_at=memory.outbox[-1].occurred_at,
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD,
    )
    assert await systems.list_for_vendor(SMARTCLOUD) == []
    with pytest.raises(Refusal):
        await systems.get(SYSTEM_ID, SMARTCLOUD)
    with pytest.raises(Refusal) as refused:
        await systems.register(seeded_spec(), SMARTCLOUD)
    assert refused.value.code == "AUTH.VLD-00002"


async def test_get_and_list_return_the_vendors_systems(systems: SystemRegister) -> None:
    registration = await systems.register(seeded_spec(), SMARTCLOUD)
    assert await systems.get(SYSTEM_ID, SMARTCLOUD) == registration.system
    assert await systems.list_for_vendor(SMARTCLOUD) == [registration.system]
    assert await systems.list_for_vendor(FLINK) == []


async def test_seed_registers_missing_systems_once(systems: SystemRegister, memory: Memory) -> None:
    await systems.seed()
    await systems.seed()
    assert list(memory.systems) == [SYSTEM_ID]
    assert len(memory.outbox) == 1

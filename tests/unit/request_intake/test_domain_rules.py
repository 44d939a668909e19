"""Pure rules of requests, systems and paging: transitions, visibility, tokens."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from services.request_intake.domain.paging import PageCursor
from services.request_intake.domain.refusals import Refusal, RefusalKind
from services.request_intake.domain.requests import (
    AccessRequest,
    accept,
    escalate,
    new_request,
    reject,
    seen_at,
    time_out,
    visible_request,
    withdrawal,
)
from services.request_intake.domain.systems import (
    MAX_RETIRED_WEBHOOK_KEYS,
    WebhookKey,
    deletion,
    needs_new_webhook_secret,
    registration,
    replacement,
    rotation,
    validate_system,
)
from shared import events as ev
from tests.unit.request_intake.fakes import (
    FLINK,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    agent_spec,
    registered,
    seeded_spec,
    standard_spec,
    world,
)

pytestmark = pytest.mark.unit

TTL = timedelta(days=10)
STANDARD, AGENT = ev.RequestType.STANDARD, ev.RequestType.AGENT


def opened() -> AccessRequest:
    description = validate_system(seeded_spec(), SMARTCLOUD, world())
    applied = new_request(
        standard_spec(),
        description,
        world(),
        request_id=UUID(int=1),
        now=T0,
        ttl=TTL,
        require_known_party=False,
    )
    return applied.record


def test_new_request_and_its_event_agree() -> None:
    description = validate_system(seeded_spec(), SMARTCLOUD, world())
    applied = new_request(
        agent_spec(), description, world(), request_id=UUID(int=1), now=T0, ttl=TTL, require_known_party=True
    )
    request, event = applied.record, applied.event
    assert (request.request_type, event.request_type) == (AGENT, AGENT)
    assert event.request_id == UUID(request.id)
    assert (event.created, event.expires_at) == (request.created, request.expires_at) == (T0, T0 + TTL)
    assert (event.external_ref, event.integration_title) == (request.external_ref, "SmartCloud")


def test_seen_at_times_out_a_new_request_at_its_expiry() -> None:
    request = opened()
    assert seen_at(request, T0 + TTL - timedelta(microseconds=1)).status == "New"
    assert seen_at(request, T0 + TTL).status == "Timedout"
    assert seen_at(accept(request), T0 + TTL).status == "Accepted"


def test_outcome_transitions() -> None:
    request = opened()
    assert accept(request).status == "Accepted"
    assert reject(request).status == "Rejected"
    assert time_out(request).status == "Timedout"
    assert reject(accept(request)).status == "Accepted"
    assert time_out(reject(request)).status == "Rejected"
    assert escalate(request).escalated
    assert escalate(request).status == "New"


def test_visible_request() -> None:
    request = opened()
    assert visible_request(request, SMARTCLOUD, STANDARD) is request
    for vendor, request_type, candidate in [
        (FLINK, STANDARD, request),
        (SMARTCLOUD, AGENT, request),
        (SMARTCLOUD, STANDARD, None),
        (SMARTCLOUD, STANDARD, withdrawal(request, SMARTCLOUD).record),
    ]:
        with pytest.raises(Refusal) as refused:
            visible_request(candidate, vendor, request_type)
        assert (refused.value.kind, refused.value.code) == (RefusalKind.NOT_FOUND, "AUTH-00010")


def test_withdrawal() -> None:
    request = opened()
    applied = withdrawal(request, SMARTCLOUD)
    assert applied.record.withdrawn
    assert (applied.event.request_id, applied.event.system_id) == (UUID(int=1), SYSTEM_ID)
    for candidate, vendor in [(request, FLINK), (applied.record, SMARTCLOUD), (None, SMARTCLOUD)]:
        with pytest.raises(Refusal):
            withdrawal(candidate, vendor)


def test_page_cursor_token_round_trip() -> None:
    cursor = PageCursor(f"{1_795_946_400_000:013d}:{UUID(int=1)}")
    assert PageCursor.from_token(cursor.to_token()) == cursor
    assert "=" not in cursor.to_token()


@pytest.mark.parametrize("token", ["%%%", "", "bm90LWEtY3Vyc29y", PageCursor("12:short").to_token()])
def test_page_cursor_refuses_what_it_did_not_write(token: str) -> None:
    with pytest.raises(Refusal) as refused:
        PageCursor.from_token(token)
    assert refused.value.code == "AUTH.VLD-TOKEN"


def test_system_lifecycle() -> None:
    spec = seeded_spec()
    added = registration(spec, SMARTCLOUD, world(), T0, insecure_loopback_webhooks=False)
    assert added.event.system.system_id == SYSTEM_ID
    later = T0 + timedelta(hours=1)
    replaced = replacement(added.record, spec, SMARTCLOUD, world(), later, insecure_loopback_webhooks=False)
    assert (replaced.record.created, replaced.record.updated) == (T0, later)
    deleted = deletion(replaced.record, later)
    assert deleted.record.is_deleted
    assert (deleted.event.system_id, deleted.event.vendor_org_no) == (SYSTEM_ID, SMARTCLOUD)


HOOK = "https://smartcloud.example/hook"


def test_loopback_webhooks_only_when_allowed() -> None:
    spec = seeded_spec(webhookUrl="http://127.0.0.1:9000/hook")
    key = WebhookKey(sealed="s1")
    with pytest.raises(Refusal):
        registration(spec, SMARTCLOUD, world(), T0, insecure_loopback_webhooks=False, new_key=key)
    registration(spec, SMARTCLOUD, world(), T0, insecure_loopback_webhooks=True, new_key=key)


def test_a_new_secret_comes_with_the_first_webhook_url() -> None:
    with_hook = registered(seeded_spec(webhookUrl=HOOK))
    without = registered()
    assert needs_new_webhook_secret(with_hook.spec, None)
    assert needs_new_webhook_secret(with_hook.spec, without)
    assert not needs_new_webhook_secret(with_hook.spec, with_hook)
    assert not needs_new_webhook_secret(without.spec, None)


def test_registration_with_a_webhook_announces_its_sealed_secret() -> None:
    added = registration(
        seeded_spec(webhookUrl=HOOK),
        SMARTCLOUD,
        world(),
        T0,
        insecure_loopback_webhooks=False,
        new_key=WebhookKey(sealed="s1"),
    )
    assert added.record.webhook_keys == (WebhookKey(sealed="s1"),)
    [secrets] = added.also
    assert isinstance(secrets, ev.WebhookSecretsChanged)
    assert (secrets.system_id, secrets.generation) == (SYSTEM_ID, 1)
    assert [s.sealed for s in secrets.secrets] == ["s1"]
    with pytest.raises(ValueError, match="signing secret"):
        registration(seeded_spec(webhookUrl=HOOK), SMARTCLOUD, world(), T0, insecure_loopback_webhooks=False)


def test_rotation_keeps_the_old_secret_for_the_grace_period() -> None:
    grace = timedelta(hours=2)
    system = registration(
        seeded_spec(webhookUrl=HOOK),
        SMARTCLOUD,
        world(),
        T0,
        insecure_loopback_webhooks=False,
        new_key=WebhookKey(sealed="s1"),
    ).record
    rotated = rotation(system, WebhookKey(sealed="s2"), T0, grace)
    assert rotated.record.webhook_keys == (
        WebhookKey(sealed="s2"),
        WebhookKey(sealed="s1", not_after=T0 + grace),
    )
    assert rotated.event.generation == 2
    assert [(s.sealed, s.not_after) for s in rotated.event.secrets] == [("s2", None), ("s1", T0 + grace)]
    # After the grace period the old one is gone with the next rotation.
    later = rotation(rotated.record, WebhookKey(sealed="s3"), T0 + grace, grace)
    assert [k.sealed for k in later.record.webhook_keys] == ["s3", "s2"]


def test_rotation_bounds_the_secrets_in_grace_and_needs_a_webhook() -> None:
    system = registration(
        seeded_spec(webhookUrl=HOOK),
        SMARTCLOUD,
        world(),
        T0,
        insecure_loopback_webhooks=False,
        new_key=WebhookKey(sealed="s0"),
    ).record
    for n in range(1, 6):
        system = rotation(system, WebhookKey(sealed=f"s{n}"), T0, timedelta(days=1)).record
    assert [k.sealed for k in system.webhook_keys] == ["s5", "s4", "s3"][: 1 + MAX_RETIRED_WEBHOOK_KEYS]
    with pytest.raises(Refusal) as refused:
        rotation(registered(), WebhookKey(sealed="x"), T0, timedelta(days=1))
    assert refused.value.code == "AUTH.VLD-00005"


def test_removing_the_webhook_drops_its_secrets() -> None:
    system = registration(
        seeded_spec(webhookUrl=HOOK),
        SMARTCLOUD,
        world(),
        T0,
        insecure_loopback_webhooks=False,
        new_key=WebhookKey(sealed="s1"),
    ).record
    kept = replacement(
        system, seeded_spec(webhookUrl=HOOK + "2"), SMARTCLOUD, world(), T0, insecure_loopback_webhooks=False
    )
    assert kept.also == ()
    assert kept.record.webhook_keys == system.webhook_keys
    removed = replacement(system, seeded_spec(), SMARTCLOUD, world(), T0, insecure_loopback_webhooks=False)
    [secrets] = removed.also
    assert isinstance(secrets, ev.WebhookSecretsChanged)
    assert (secrets.secrets, secrets.generation) == ((), 2)
    assert deletion(system, T0).record.webhook_keys == ()

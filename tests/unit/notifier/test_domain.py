"""The notifier's pure rules: webhook payload text, stable ids, links and retry decisions."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from services.notifier.domain.concurrency import EMAIL_LANE, ConcurrencyLimits, Lane, lane_of
from services.notifier.domain.plans import derived_id, plan_escalation, request_link, system_display_name
from services.notifier.domain.retries import GiveUp, RetryLater, RetryPolicy, after_failure
from services.notifier.domain.vendor_text import MAX_VENDOR_TEXT, plain_vendor_text
from services.notifier.domain.webhook_payload import ACTOR_ROLES, VENDOR_FIELDS, WebhookPayload, vendor_view
from shared import events as ev

from .fakes import KARI, PORTAL, SMARTCLOUD, WORLD, access_created, email_job, escalated, system, webhook_job

pytestmark = pytest.mark.unit


def test_the_webhook_payload_is_compact_ascii_json_around_the_event() -> None:
    event = access_created().model_copy(update={"external_ref": "Ærlig"})
    text = WebhookPayload.of(event).to_json()
    assert text.startswith(f'{{"deliveryId":"{event.event_id}","eventType":"SystemAccessCreated",')
    assert '"occurredAt":"' + event.occurred_at.isoformat() + '"' in text
    assert "\\u00c6rlig" in text
    assert json.loads(text)["data"] == vendor_view(event)


OUTCOMES = [
    ev.message_type(name)
    for name in (
        "SystemAccessCreated",
        "SystemAccessRequestRejected",
        "RequestTimedOut",
        "ClientAdded",
        "ClientRemoved",
        "SystemAccessDeleted",
    )
]
PERSON_NUMBER = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")


def example(cls: type[ev.Message]) -> ev.Message:
    return cls.model_validate(ev.example_payload(cls))


@pytest.mark.parametrize("cls", OUTCOMES, ids=lambda c: c.event_type)
def test_every_field_of_an_outcome_is_shown_or_withheld_on_purpose(cls: type[ev.Message]) -> None:
    names = {field.alias or field_name for field_name, field in cls.model_fields.items()}
    decided = {"eventId", "occurredAt", "schemaVersion", *VENDOR_FIELDS[cls], *ACTOR_ROLES}
    assert names <= decided, f"decide whether vendors may see {sorted(names - decided)}"


@pytest.mark.parametrize("cls", OUTCOMES, ids=lambda c: c.event_type)
def test_a_vendor_sees_roles_never_person_numbers(cls: type[ev.Message]) -> None:
    event = example(cls)
    text = WebhookPayload.of(event).to_json()
    assert not PERSON_NUMBER.search(text.replace(str(event.event_id), "")), text
    data = json.loads(text)["data"]
    for name in ACTOR_ROLES:
        if name in cls.model_fields or any(f.alias == name for f in cls.model_fields.values()):
            assert PERSON_NUMBER.fullmatch(ev.example_payload(cls)[name]), "the internal event names a person"
            assert data[name] == {"actorType": "person", "role": ACTOR_ROLES[name]}


def test_events_not_for_vendors_have_no_view() -> None:
    with pytest.raises(ValueError, match="not sent to vendors"):
        vendor_view(escalated(KARI.pid))


HOSTILE_NAME = (
    "Skatt\u202eSA\u200b\r\nBcc: evil@mail.example\n\nLogg inn: https://evil.example/login "
    "<a href='https://evil.example'>OK</a> ｈｔｔｐｓ://evil2.example " + "x" * 300
)


def test_vendor_text_is_one_short_plain_line_and_never_a_link() -> None:
    text = plain_vendor_text(HOSTILE_NAME)
    assert len(text) <= MAX_VENDOR_TEXT
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)
    assert "\n" not in text
    assert "\r" not in text
    assert "://" not in text
    assert "evil.example" not in text
    assert "@" not in text
    assert "<" not in text
    assert ">" not in text
    assert "«" not in text
    assert text.startswith("Skatt SA Bcc: evil[at]mail[.]example Logg inn: https[:]//evil[.]example/login")


@pytest.mark.parametrize("name", ["SmartCloud", "SmartCloud 2.0", "Regnskap & Lønn AS", "Ærlig Økonomi"])
def test_ordinary_names_are_left_as_they_are(name: str) -> None:
    assert plain_vendor_text(name) == name


def test_an_escalation_quotes_the_vendors_name_attributed_and_links_only_to_the_portal() -> None:
    hostile = system().model_copy(update={"name": {"nb": HOSTILE_NAME}})
    name = system_display_name(hostile, "x")
    plan = plan_escalation(escalated(KARI.pid), WORLD, {"nb": name}, PORTAL)
    (job,) = plan.jobs
    body = job.message.body
    assert f"gjennom systemet «{name}»" in body
    assert f"(Systemnavnet er oppgitt av {SMARTCLOUD.name}.)" in body
    links = re.findall(r"[a-z]+://\S+", body)
    assert links
    assert all(link.startswith(PORTAL + "/") for link in links)
    assert "\u202e" not in body
    assert not any(line.startswith("Bcc:") for line in body.splitlines())


def test_ids_are_stable_per_event_channel_and_recipient() -> None:
    event = escalated(KARI.pid)
    assert derived_id(event.event_id, "email", KARI.pid) == derived_id(event.event_id, "email", KARI.pid)
    assert derived_id(event.event_id, "email", KARI.pid) != derived_id(event.event_id, "inbox", KARI.pid)
    assert len(derived_id(event.event_id, "webhook", "x")) == 40


def test_an_escalation_email_has_the_job_id_as_message_id() -> None:
    (job,) = plan_escalation(escalated(KARI.pid), WORLD, {"nb": "Skyregnskap"}, PORTAL).jobs
    assert job.delivery_id == f"<{job.id}@sysaccess>"
    assert job.channel == "email"


def test_agent_requests_link_to_the_agent_page() -> None:
    link = request_link(PORTAL + "/", ev.RequestType.AGENT, escalated().request_id)
    assert link.startswith(f"{PORTAL}/accessmanagement/ui/systemuser/agentrequest?id=")


POLICY = RetryPolicy(max_attempts=6, first_delay=1.0, max_delay=10.0)


@pytest.mark.parametrize(("failed_before", "delay"), [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 10.0)])
def test_retries_back_off_exponentially_up_to_the_longest_delay(failed_before: int, delay: float) -> None:
    assert after_failure(POLICY, failed_before, now=100.0) == RetryLater(
        at=100.0 + delay, failed_attempts=failed_before + 1
    )


def test_gives_up_after_the_last_attempt() -> None:
    assert after_failure(POLICY, 5, now=100.0) == GiveUp(failed_attempts=6)


def test_a_permanent_failure_is_given_up_at_once() -> None:
    assert after_failure(POLICY, 0, now=100.0, permanent=True) == GiveUp(failed_attempts=1)


LIMITS = ConcurrencyLimits(overall=16, per_host=4)


def test_each_webhook_host_is_a_lane_and_email_is_one() -> None:
    assert lane_of(webhook_job(url="https://Hooks.Example:8443/in")) == Lane("webhook", "hooks.example")
    assert lane_of(email_job()) == EMAIL_LANE


def test_a_lane_admits_its_share_and_webhooks_leave_room_for_email() -> None:
    hook = Lane("webhook", "a.example")
    assert LIMITS.admits(hook, {hook: 3})
    assert not LIMITS.admits(hook, {hook: 4})
    full = {Lane("webhook", f"h{n}.example"): 4 for n in range(3)}  # 12 = overall - per_host
    assert not LIMITS.admits(hook, full)
    assert LIMITS.admits(EMAIL_LANE, full)
    assert not LIMITS.admits(EMAIL_LANE, {**full, EMAIL_LANE: 4})


def test_limits_keep_room_for_email() -> None:
    with pytest.raises(ValueError, match="room for e-mail"):
        ConcurrencyLimits(overall=6, per_host=4)

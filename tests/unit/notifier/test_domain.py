"""The notifier's pure rules: webhook payload text, stable ids, links and retry decisions."""

from __future__ import annotations

import json

import pytest

from services.notifier.domain.plans import derived_id, plan_escalation, request_link
from services.notifier.domain.retries import GiveUp, RetryLater, RetryPolicy, after_failure
from services.notifier.domain.webhook_payload import WebhookPayload
from shared import events as ev

from .fakes import KARI, PORTAL, WORLD, access_created, escalated

pytestmark = pytest.mark.unit


def test_the_webhook_payload_is_compact_ascii_json_around_the_event() -> None:
    event = access_created().model_copy(update={"external_ref": "Ærlig"})
    text = WebhookPayload.of(event).to_json()
    assert text.startswith(f'{{"deliveryId":"{event.event_id}","eventType":"SystemAccessCreated",')
    assert '"occurredAt":"' + event.occurred_at.isoformat() + '"' in text
    assert "\\u00c6rlig" in text
    assert json.loads(text)["data"] == json.loads(event.to_json_bytes())


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

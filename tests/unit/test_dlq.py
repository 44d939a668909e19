"""Dead-letter ids, where a replay goes and with which headers (no Kafka needed)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from shared import topics
from sysaccess.cli import app
from sysaccess.dlq import DeadLetter, DeadLetterError, DeadLetterId, dlq_topic_of, refusal

EVENT_ID = str(uuid.uuid4())
VALUE = json.dumps({"eventId": EVENT_ID, "requestId": "r-1"}).encode()


def letter(headers: dict[str, str], topic: str = topics.ACCESS_CREATED.dead_letter) -> DeadLetter:
    return DeadLetter(
        DeadLetterId(topic, 0, 7),
        1_700_000_000_000,
        b"r-1",
        VALUE,
        tuple((k, v.encode()) for k, v in headers.items()),
    )


DEAD_LETTER_HEADERS = {
    "content-type": "",
    "correlation_id": "c0ffee",
    "dlq-error": "NoPermissionError('NOPERM ...')",
    "dlq-reason": "exhausted",
    "dlq-attempts": "5",
    "dlq-original-topic": topics.ACCESS_CREATED.name,
    "dlq-original-partition": "2",
    "dlq-original-offset": "41",
}


def test_an_id_names_topic_partition_and_offset() -> None:
    parsed = DeadLetterId.parse("sysaccess.access-created.v1.dlq:0:17")
    assert parsed == DeadLetterId("sysaccess.access-created.v1.dlq", 0, 17)
    assert str(parsed) == "sysaccess.access-created.v1.dlq:0:17"


@pytest.mark.parametrize(
    "text",
    [
        "sysaccess.access-created.v1:0:17",  # not a dead-letter topic
        "sysaccess.access-created.v1.dlq:0",
        "sysaccess.access-created.v1.dlq:x:1",
        "sysaccess.access-created.v1.dlq:0:-1",
        "",
    ],
)
def test_malformed_ids_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(DeadLetterError):
        DeadLetterId.parse(text)


def test_a_topic_or_its_dead_letter_topic_names_the_dead_letter_topic() -> None:
    assert dlq_topic_of("sysaccess.access-created.v1") == "sysaccess.access-created.v1.dlq"
    assert dlq_topic_of("sysaccess.access-created.v1.dlq") == "sysaccess.access-created.v1.dlq"


def test_the_error_and_the_origin_come_from_the_headers() -> None:
    found = letter(DEAD_LETTER_HEADERS)
    assert found.error.startswith("NoPermissionError")
    assert (found.reason, found.attempts) == ("exhausted", "5")
    assert found.original_topic == topics.ACCESS_CREATED.name
    assert found.original_position == (2, 41)
    assert found.event_id == EVENT_ID
    assert found.event_type == "SystemAccessCreated"  # the one message type of the topic
    assert found.replayable


def test_without_an_origin_header_the_topic_is_the_dead_letter_topic_without_its_suffix() -> None:
    found = letter({"dlq-reason": "invalid"})
    assert found.original_topic == topics.ACCESS_CREATED.name
    assert found.original_position is None


def test_replay_keeps_the_original_records_headers_without_dead_letter_ones() -> None:
    original = [("event-type", b"SystemAccessCreated"), ("event-id", EVENT_ID.encode())]
    assert letter(DEAD_LETTER_HEADERS).replay_headers(original) == original


def test_without_the_original_record_replay_drops_what_dead_lettering_added() -> None:
    headers = {**DEAD_LETTER_HEADERS, "event-type": "SystemAccessCreated"}
    assert letter(headers).replay_headers(None) == [("event-type", b"SystemAccessCreated")]


def test_failed_deliveries_are_listed_but_not_replayable() -> None:
    assert not letter({}, topic=topics.NOTIFICATIONS_DEAD_LETTER).replayable


def test_replay_refuses_what_could_apply_twice_or_never() -> None:
    fresh = letter(DEAD_LETTER_HEADERS)
    at = fresh.at
    assert refusal(fresh, include_invalid=False, allow_old=False, now=at + timedelta(days=1)) == ""
    # Past the consumers' 30-day idempotency window a group that applied it would apply it again.
    old = at + timedelta(days=29, hours=1)
    assert "idempotency window" in refusal(fresh, include_invalid=False, allow_old=False, now=old)
    assert refusal(fresh, include_invalid=False, allow_old=True, now=old) == ""
    invalid = letter({"dlq-reason": "invalid"})
    assert "invalid" in refusal(invalid, include_invalid=False, allow_old=False, now=at)
    assert refusal(invalid, include_invalid=True, allow_old=False, now=at) == ""
    delivery = letter({}, topic=topics.NOTIFICATIONS_DEAD_LETTER)
    assert "failed deliveries" in refusal(delivery, include_invalid=True, allow_old=True, now=at)


def test_replay_wants_ids_or_all_but_not_both() -> None:
    runner = CliRunner()
    both = runner.invoke(app, ["dlq", "replay", "--topic", "t", "--id", "t.dlq:0:1", "--all"])
    neither = runner.invoke(app, ["dlq", "replay", "--topic", "t"])
    assert both.exit_code == 2
    assert neither.exit_code == 2
    assert "--all" in neither.output

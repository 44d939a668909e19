"""Kafka messages: examples round-trip, models are frozen and tolerant, topics are sound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from shared import events as ev
from shared.topics import ALL_TOPICS, Topic, topic_for

MESSAGE_IDS = [cls.event_type for cls in ev.ALL_MESSAGES]


def parsed(cls: type[ev.Message]) -> ev.Message:
    return cls.model_validate(ev.example_payload(cls))


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_example_round_trips_with_same_keys(cls: type[ev.Message]) -> None:
    example = ev.example_payload(cls)
    message = cls.model_validate(example)
    dumped = json.loads(message.model_dump_json(by_alias=True))
    assert set(dumped) == set(example)


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_example_round_trips_exactly(cls: type[ev.Message]) -> None:
    example = ev.example_payload(cls)
    message = cls.model_validate(example)
    assert json.loads(message.to_json_bytes()) == example
    again = cls.model_validate_json(message.to_json_bytes())
    assert again == message


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_models_are_frozen(cls: type[ev.Message]) -> None:
    message = parsed(cls)
    with pytest.raises(ValidationError):
        message.schema_version = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        message.event_id = message.event_id  # type: ignore[misc]


def test_nested_system_description_is_frozen() -> None:
    message = parsed(ev.SystemRegistered)
    assert isinstance(message, ev.SystemRegistered)
    with pytest.raises(ValidationError):
        message.system.system_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_unknown_fields_are_ignored(cls: type[ev.Message]) -> None:
    payload: dict[str, Any] = {**ev.example_payload(cls), "someFutureField": {"x": 1}, "zz": 2}
    message = cls.model_validate(payload)
    assert message == parsed(cls)
    dumped = json.loads(message.to_json_bytes())
    assert "someFutureField" not in dumped
    assert "zz" not in dumped


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_fields_can_be_given_by_python_name(cls: type[ev.Message]) -> None:
    message = parsed(cls)
    again = cls.model_validate(message.model_dump())
    assert again == message


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_headers(cls: type[ev.Message]) -> None:
    message = parsed(cls)
    assert message.headers() == {
        "event-type": cls.event_type,
        "event-id": str(message.event_id),
        "schema-version": "1",
    }


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_schema_version_other_than_one_is_refused(cls: type[ev.Message]) -> None:
    with pytest.raises(ValidationError):
        cls.model_validate({**ev.example_payload(cls), "schemaVersion": 2})


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_message_type_lookup(cls: type[ev.Message]) -> None:
    assert ev.message_type(cls.event_type) is cls


def test_message_type_unknown() -> None:
    with pytest.raises(KeyError):
        ev.message_type("NoSuchEvent")


def test_event_types_are_unique() -> None:
    assert len(set(MESSAGE_IDS)) == len(MESSAGE_IDS)
    assert set(ev.EXAMPLES) == set(MESSAGE_IDS)


def test_defaults_make_fresh_ids() -> None:
    a = ev.SystemDeleted(system_id="314000110_smartcloud", vendor_org_no="314000110")
    b = ev.SystemDeleted(system_id="314000110_smartcloud", vendor_org_no="314000110")
    assert a.event_id != b.event_id
    assert a.occurred_at.tzinfo is not None


# --- topics -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ev.ALL_MESSAGES, ids=MESSAGE_IDS)
def test_topic_for_each_message(cls: type[ev.Message]) -> None:
    message = parsed(cls)
    topic = topic_for(message)
    assert topic.message is cls
    key = topic.key_of(message)
    assert isinstance(key, bytes)
    assert key


CHANGE_REQUEST_MESSAGES = (
    ev.SystemAccessChangeRequested,
    ev.ChangeRequestWithdrawn,
    ev.DecideChangeRequest,
    ev.SystemAccessChanged,
    ev.SystemAccessChangeRejected,
    ev.ChangeRequestTimedOut,
)


@pytest.mark.parametrize(
    ("cls", "expected_key"),
    [
        pytest.param(ev.SystemRegistered, b"314000110_smartcloud", id="SystemRegistered"),
        pytest.param(ev.SystemUpdated, b"314000110_smartcloud", id="SystemUpdated"),
        pytest.param(ev.SystemDeleted, b"314000110_smartcloud", id="SystemDeleted"),
        pytest.param(ev.WebhookSecretsChanged, b"314000110_smartcloud", id="WebhookSecretsChanged"),
        *[
            pytest.param(cls, b"0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10", id=cls.event_type)
            for cls in ev.ALL_MESSAGES
            if cls not in (ev.SystemRegistered, ev.SystemUpdated, ev.SystemDeleted, ev.WebhookSecretsChanged)
            and cls not in CHANGE_REQUEST_MESSAGES
        ],
        # Everything about one change request lands on one partition, in order.
        *[
            pytest.param(cls, b"5b1c7a0e-8d2f-4c3b-9a41-2e6f0d9c8b71", id=cls.event_type)
            for cls in CHANGE_REQUEST_MESSAGES
        ],
    ],
)
def test_partition_keys(cls: type[ev.Message], expected_key: bytes) -> None:
    message = parsed(cls)
    assert topic_for(message).key_of(message) == expected_key


def test_every_message_has_exactly_one_topic() -> None:
    assert sorted(t.message.event_type for t in ALL_TOPICS) == sorted(MESSAGE_IDS)


def test_topic_names_are_unique() -> None:
    names = [t.name for t in ALL_TOPICS]
    assert len(set(names)) == len(names)
    dead_letters = [t.dead_letter for t in ALL_TOPICS]
    assert not set(dead_letters) & set(names)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=[t.name for t in ALL_TOPICS])
def test_topic_name_shape(topic: Topic) -> None:
    assert topic.name.endswith(".v1")
    assert topic.name.startswith("sysaccess.")
    assert topic.dead_letter == topic.name + ".dlq"
    assert topic.partitions > 0


def test_topic_for_unknown_message() -> None:
    class Stray(ev.Message):
        event_type = "Stray"

    with pytest.raises(KeyError):
        topic_for(Stray())


@pytest.mark.parametrize("cls", [ev.SystemRegistered, ev.SystemUpdated], ids=["reg", "upd"])
def test_unknown_fields_in_nested_system_are_ignored(cls: type[ev.Message]) -> None:
    example = ev.example_payload(cls)
    payload = {**example, "system": {**example["system"], "futureField": [1, 2]}}
    message = cls.model_validate(payload)
    assert message == parsed(cls)
    assert "futureField" not in json.loads(message.to_json_bytes())["system"]

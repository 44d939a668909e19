"""Every event against its committed golden JSON; every service against its committed AsyncAPI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.events import ALL_MESSAGES, Message, message_type
from sysaccess.asyncapi import BROKERS, breaking_changes, committed, generate

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return document


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda c: c.event_type)
def test_golden_example_round_trips(cls: type[Message]) -> None:
    example = golden(cls.event_type)
    parsed = cls.model_validate_json(json.dumps(example))
    assert json.loads(parsed.model_dump_json(by_alias=True)) == example


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda c: c.event_type)
def test_consumers_tolerate_added_fields(cls: type[Message]) -> None:
    example = {**golden(cls.event_type), "someFutureField": {"nested": True}}
    assert cls.model_validate(example).event_id


def test_every_message_has_a_golden_file() -> None:
    names = {p.stem for p in GOLDEN.glob("*.json")}
    assert names == {cls.event_type for cls in ALL_MESSAGES}
    for name in names:
        assert message_type(name).event_type == name


@pytest.mark.parametrize("service", sorted(BROKERS))
def test_asyncapi_has_no_breaking_change(service: str) -> None:
    assert breaking_changes(committed(service), generate(service)) == []


@pytest.mark.parametrize("service", sorted(BROKERS))
def test_committed_asyncapi_is_current(service: str) -> None:
    """A deliberate, compatible change is committed with `make asyncapi`."""
    assert generate(service) == committed(service)


def test_breaking_change_detector_catches_breaks() -> None:
    old = committed("request_intake")
    new = copy.deepcopy(old)
    schema = new["components"]["schemas"]["SystemAccessRequested"]
    del schema["properties"]["partyOrgNo"]
    schema["properties"]["redirectUrl"] = {"type": "integer"}
    schema.setdefault("required", []).append("newMandatoryField")
    first_channel = next(iter(new["channels"]))
    del new["channels"][first_channel]
    found = breaking_changes(old, new)
    assert "SystemAccessRequested.partyOrgNo removed" in found
    assert any(f.startswith("SystemAccessRequested.redirectUrl changed type") for f in found)
    assert "SystemAccessRequested.newMandatoryField became required" in found
    assert any(f.startswith("channel ") for f in found)


def test_adding_an_optional_field_is_not_breaking() -> None:
    old = committed("request_intake")
    new = copy.deepcopy(old)
    new["components"]["schemas"]["SystemAccessRequested"]["properties"]["newOptional"] = {"type": "string"}
    assert breaking_changes(old, new) == []

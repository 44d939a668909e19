"""The Kafka table of intake: every outcome topic reaches its use case with the typed event.

Runs on FastStream's TestKafkaBroker (no Kafka) with a use case that only records calls.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.request_intake.factory import build
from services.request_intake.handlers import kafka
from services.request_intake.services.change_requests import ChangeOutcomes
from services.request_intake.services.projections import OutcomeProjection
from services.request_intake.settings import IntakeSettings
from shared import events as ev
from shared import topics
from shared.routing import subscribe

pytestmark = pytest.mark.unit

ID = UUID("0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
VENDOR: dict[str, Any] = {"system_id": "314000110_smartcloud", "vendor_org_no": "314000110"}
PARTIES: dict[str, Any] = {**VENDOR, "party_org_no": "310614289"}
CLIENT: dict[str, Any] = {**VENDOR, "facilitator_org_no": "313222225", "client_org_no": "311543210"}


class RecordingProjection(OutcomeProjection):
    """A fake of the use case: records which method got which event."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ev.Message]] = []

    def _record(self, name: str, event: ev.Message) -> bool:
        self.calls.append((name, event))
        return True

    async def access_created(self, event: ev.SystemAccessCreated) -> bool:
        return self._record("access_created", event)

    async def request_rejected(self, event: ev.SystemAccessRequestRejected) -> bool:
        return self._record("request_rejected", event)

    async def request_escalated(self, event: ev.RequestEscalated) -> bool:
        return self._record("request_escalated", event)

    async def request_timed_out(self, event: ev.RequestTimedOut) -> bool:
        return self._record("request_timed_out", event)

    async def access_deleted(self, event: ev.SystemAccessDeleted) -> bool:
        return self._record("access_deleted", event)

    async def client_added(self, event: ev.ClientAdded) -> bool:
        return self._record("client_added", event)

    async def client_removed(self, event: ev.ClientRemoved) -> bool:
        return self._record("client_removed", event)


EVENTS: list[tuple[str, ev.Message]] = [
    (
        "access_created",
        ev.SystemAccessCreated(
            system_access_id=ID,
            request_id=ID,
            request_type=ev.RequestType.STANDARD,
            external_ref="ref-1",
            integration_title="SmartCloud",
            approved_by="12887010186",
            approved_at=NOW,
            **PARTIES,
        ),
    ),
    (
        "request_rejected",
        ev.SystemAccessRequestRejected(request_id=ID, rejected_by="12887010186", rejected_at=NOW, **PARTIES),
    ),
    (
        "request_escalated",
        ev.RequestEscalated(
            request_id=ID,
            request_type=ev.RequestType.AGENT,
            escalated_by="21927110056",
            escalated_at=NOW,
            access_managers=("12887010186",),
            **PARTIES,
        ),
    ),
    ("request_timed_out", ev.RequestTimedOut(request_id=ID, **PARTIES)),
    (
        "access_deleted",
        ev.SystemAccessDeleted(
            system_access_id=ID, external_ref="ref-1", deleted_by="12887010186", **PARTIES
        ),
    ),
    ("client_added", ev.ClientAdded(system_access_id=ID, added_by="17848310182", **CLIENT)),
    ("client_removed", ev.ClientRemoved(system_access_id=ID, removed_by="17848310182", **CLIENT)),
]


@pytest.fixture
async def recording() -> AsyncIterator[tuple[KafkaBroker, RecordingProjection]]:
    projection = RecordingProjection()
    context = dataclasses.replace(build(IntakeSettings()), projections=projection)
    broker = KafkaBroker()
    subscribe(broker, "intake-test", kafka.routes(context))
    async with TestKafkaBroker(broker) as test_broker:
        yield test_broker, projection


@pytest.mark.parametrize(("use_case", "event"), EVENTS, ids=[name for name, _ in EVENTS])
async def test_each_topic_reaches_its_use_case(
    use_case: str, event: ev.Message, recording: tuple[KafkaBroker, RecordingProjection]
) -> None:
    broker, projection = recording
    topic = topics.topic_for(event)
    # As the outbox relay sends it: the JSON body, keyed, with the event headers.
    await broker.publish(event.to_json_bytes(), topic.name, key=topic.key_of(event), headers=event.headers())
    assert projection.calls == [(use_case, event)]


class RecordingChangeOutcomes(ChangeOutcomes):
    """A fake of the change-request outcome use case: records which method got which event."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ev.Message]] = []

    async def access_changed(self, event: ev.SystemAccessChanged) -> bool:
        self.calls.append(("access_changed", event))
        return True

    async def change_rejected(self, event: ev.SystemAccessChangeRejected) -> bool:
        self.calls.append(("change_rejected", event))
        return True

    async def change_timed_out(self, event: ev.ChangeRequestTimedOut) -> bool:
        self.calls.append(("change_timed_out", event))
        return True


CHANGE_EVENTS: list[tuple[str, type[ev.Message]]] = [
    ("access_changed", ev.SystemAccessChanged),
    ("change_rejected", ev.SystemAccessChangeRejected),
    ("change_timed_out", ev.ChangeRequestTimedOut),
]


@pytest.mark.parametrize(("use_case", "message_type"), CHANGE_EVENTS, ids=[n for n, _ in CHANGE_EVENTS])
async def test_each_change_outcome_reaches_its_use_case(
    use_case: str, message_type: type[ev.Message]
) -> None:
    outcomes = RecordingChangeOutcomes()
    context = dataclasses.replace(build(IntakeSettings()), change_outcomes=outcomes)
    broker = KafkaBroker()
    subscribe(broker, "intake-test", kafka.routes(context))
    event = message_type.model_validate(ev.example_payload(message_type))
    topic = topics.topic_for(event)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            event.to_json_bytes(), topic.name, key=topic.key_of(event), headers=event.headers()
        )
    assert outcomes.calls == [(use_case, event)]


def test_the_table_covers_every_topic_intake_consumes() -> None:
    projection = RecordingProjection()
    context = dataclasses.replace(build(IntakeSettings()), projections=projection)
    routed = [route.topic for route in kafka.routes(context)]
    expected = [topics.topic_for(e).name for _, e in EVENTS] + [
        topics.topic_for(t.model_validate(ev.example_payload(t))).name for _, t in CHANGE_EVENTS
    ]
    assert sorted(t.name for t in routed) == sorted(expected)
    assert not set(routed) & set(kafka.PUBLISHES)

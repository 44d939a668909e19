"""The notifier's Kafka table: each topic's typed event reaches the right use case (TestKafkaBroker)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.notifier.domain.plans import EscalationEvent, OutcomeEvent
from services.notifier.handlers.kafka import routes
from services.notifier.services.planning import PlanNotifications
from services.notifier.services.systems import SystemProjection
from shared import events as ev
from shared.routing import subscribe
from shared.topics import topic_for

pytestmark = pytest.mark.unit

Call = tuple[str, ev.Message]


class RecordingPlanning(PlanNotifications):
    """The planning use case, reduced to recording what it was called with."""

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls

    async def escalation(self, event: EscalationEvent) -> None:
        self.calls.append(("planning.escalation", event))

    async def outcome(self, event: OutcomeEvent) -> None:
        self.calls.append(("planning.outcome", event))


class RecordingProjection(SystemProjection):
    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls

    async def record(self, event: ev.SystemRegistered | ev.SystemUpdated) -> None:
        self.calls.append(("system_projection.record", event))

    async def forget(self, event: ev.SystemDeleted) -> None:
        self.calls.append(("system_projection.forget", event))

    async def record_secrets(self, event: ev.WebhookSecretsChanged) -> None:
        self.calls.append(("system_projection.record_secrets", event))


@dataclass
class FakeUseCases:
    calls: list[Call] = field(default_factory=list)
    planning: RecordingPlanning = field(init=False)
    system_projection: RecordingProjection = field(init=False)

    def __post_init__(self) -> None:
        self.planning = RecordingPlanning(self.calls)
        self.system_projection = RecordingProjection(self.calls)


EXPECTED_USE_CASE = {
    ev.RequestEscalated: "planning.escalation",
    ev.EscalationReminderTriggered: "planning.escalation",
    ev.SystemAccessCreated: "planning.outcome",
    ev.SystemAccessRequestRejected: "planning.outcome",
    ev.RequestTimedOut: "planning.outcome",
    ev.ClientAdded: "planning.outcome",
    ev.ClientRemoved: "planning.outcome",
    ev.SystemAccessDeleted: "planning.outcome",
    ev.SystemAccessChanged: "planning.outcome",
    ev.SystemAccessChangeRejected: "planning.outcome",
    ev.ChangeRequestTimedOut: "planning.outcome",
    ev.SystemRegistered: "system_projection.record",
    ev.SystemUpdated: "system_projection.record",
    ev.SystemDeleted: "system_projection.forget",
    ev.WebhookSecretsChanged: "system_projection.record_secrets",
}


@pytest.mark.parametrize("message_type", list(EXPECTED_USE_CASE), ids=lambda t: t.__name__)
async def test_each_event_reaches_its_use_case_typed(message_type: type[ev.Message]) -> None:
    use_cases = FakeUseCases()
    broker = KafkaBroker()
    subscribe(broker, "notifier", routes(use_cases))
    event = message_type.model_validate(ev.example_payload(message_type))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(event.to_json_bytes(), topic_for(event).name, headers=event.headers())
    assert use_cases.calls == [(EXPECTED_USE_CASE[message_type], event)]
    assert type(use_cases.calls[0][1]) is message_type


def test_the_table_covers_every_topic_the_notifier_listens_to() -> None:
    assert {route.topic.message for route in routes(FakeUseCases())} == set(EXPECTED_USE_CASE)

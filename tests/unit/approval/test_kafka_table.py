"""approval's Kafka table, in memory: each topic reaches its use case as a typed message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.approval.handlers import kafka
from shared import events as ev
from shared import topics
from shared.routing import subscribe

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 29, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        async def record(message: Any) -> None:
            self.calls.append((name, message))

        return record


async def test_each_topic_reaches_its_use_case() -> None:
    projections, worker = Recorder(), Recorder()
    broker = KafkaBroker()
    subscribe(broker, "approval", kafka.routes(projections, worker))  # type: ignore[arg-type]
    request_id = uuid.uuid4()
    requested = ev.SystemAccessRequested(
        request_id=request_id,
        request_type=ev.RequestType.STANDARD,
        system_id="s",
        system_name={"nb": "S"},
        vendor_org_no="314000110",
        party_org_no="310614289",
        external_ref="r",
        integration_title="t",
        created=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    command = ev.DecideRequest(
        request_id=request_id, party_org_no="310614289", decision=ev.Decision.APPROVE, actor_pid="12887010186"
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            requested.model_dump(mode="json", by_alias=True), topics.ACCESS_REQUESTED.name
        )
        await test_broker.publish(command.model_dump(mode="json", by_alias=True), topics.DECIDE_REQUEST.name)
    assert [name for name, _ in projections.calls] == ["request_arrived"]
    assert projections.calls[0][1] == requested
    assert worker.calls == [("handle", command)]

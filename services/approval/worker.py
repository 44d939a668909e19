"""Kafka handlers of approval: projections of requests and systems, and the decision worker.

Decision commands are keyed by request id, so one partition, and one handler at a time,
sees all commands for a request; the WATCH transaction in the store makes the outcome
single even when a rebalance lets two workers overlap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker

from shared import events as ev
from shared import topics
from shared.kafka import subscriber_options

from .authorization import Verdict, assess
from .decisions import Applied, Refusal, apply_decision
from .directory import Directory
from .store import ApprovalStore


class DecisionWorker:
    def __init__(self, store: ApprovalStore, directory: Directory) -> None:
        self.store = store
        self.directory = directory

    async def handle(self, command: ev.DecideRequest) -> dict[str, Any] | None:
        async def decide(state: dict[str, Any] | None) -> Applied | Refusal:
            verdict = await self._verdict(command, state)
            managers = await self.directory.access_managers(command.party_org_no)
            return apply_decision(state, command, verdict, managers, datetime.now(UTC))

        return await self.store.apply_command(command, decide)

    async def _verdict(self, command: ev.DecideRequest, state: dict[str, Any] | None) -> Verdict:
        relation = await self.directory.relation(command.actor_pid, command.party_org_no)
        if state is None:
            return assess(relation, ev.RequestType.STANDARD, (), ())
        return assess(
            relation,
            ev.RequestType(state["requestType"]),
            tuple(state["rights"]),
            tuple(state["accessPackages"]),
        )


def register_consumers(
    broker: KafkaBroker, store: ApprovalStore, worker: DecisionWorker, group_id: str
) -> None:
    @broker.subscriber(topics.ACCESS_REQUESTED.name, **subscriber_options(group_id, topics.ACCESS_REQUESTED))
    async def on_access_requested(event: ev.SystemAccessRequested) -> None:
        await store.record_request(event)

    @broker.subscriber(
        topics.REQUEST_WITHDRAWN.name, **subscriber_options(group_id, topics.REQUEST_WITHDRAWN)
    )
    async def on_request_withdrawn(event: ev.RequestWithdrawn) -> None:
        await store.record_withdrawal(event)

    @broker.subscriber(
        topics.SYSTEM_REGISTERED.name, **subscriber_options(group_id, topics.SYSTEM_REGISTERED)
    )
    async def on_system_registered(event: ev.SystemRegistered) -> None:
        await store.record_system(event)

    @broker.subscriber(topics.SYSTEM_UPDATED.name, **subscriber_options(group_id, topics.SYSTEM_UPDATED))
    async def on_system_updated(event: ev.SystemUpdated) -> None:
        await store.record_system(event)

    @broker.subscriber(topics.SYSTEM_DELETED.name, **subscriber_options(group_id, topics.SYSTEM_DELETED))
    async def on_system_deleted(event: ev.SystemDeleted) -> None:
        await store.record_system(event)

    @broker.subscriber(topics.DECIDE_REQUEST.name, **subscriber_options(group_id, topics.DECIDE_REQUEST))
    async def on_decide_request(command: ev.DecideRequest) -> None:
        await worker.handle(command)

    for topic in (topics.ACCESS_CREATED, topics.REQUEST_REJECTED, topics.REQUEST_ESCALATED):
        # Declared for the AsyncAPI document; the outbox relay does the publishing.
        broker.publisher(topic.name, schema=topic.message, title=f"{topic.name}:Publish")

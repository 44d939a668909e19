"""Kafka handlers: keep the vendor's view of each request current from outcome events."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from shared import events as ev
from shared import topics
from shared.kafka import subscriber_options

from .store import IntakeStore


def register_consumers(broker: KafkaBroker, store: IntakeStore, group_id: str) -> None:
    @broker.subscriber(topics.ACCESS_CREATED.name, **subscriber_options(group_id, topics.ACCESS_CREATED))
    async def on_access_created(event: ev.SystemAccessCreated) -> None:
        await store.mark_accepted(event)

    @broker.subscriber(topics.REQUEST_REJECTED.name, **subscriber_options(group_id, topics.REQUEST_REJECTED))
    async def on_request_rejected(event: ev.SystemAccessRequestRejected) -> None:
        await store.mark_rejected(event)

    @broker.subscriber(
        topics.REQUEST_ESCALATED.name, **subscriber_options(group_id, topics.REQUEST_ESCALATED)
    )
    async def on_request_escalated(event: ev.RequestEscalated) -> None:
        await store.mark_escalated(event)

    @broker.subscriber(
        topics.REQUEST_TIMED_OUT.name, **subscriber_options(group_id, topics.REQUEST_TIMED_OUT)
    )
    async def on_request_timed_out(event: ev.RequestTimedOut) -> None:
        await store.mark_timed_out(event)

    @broker.subscriber(topics.ACCESS_DELETED.name, **subscriber_options(group_id, topics.ACCESS_DELETED))
    async def on_access_deleted(event: ev.SystemAccessDeleted) -> None:
        await store.mark_access_deleted(event)

    @broker.subscriber(topics.CLIENT_ADDED.name, **subscriber_options(group_id, topics.CLIENT_ADDED))
    async def on_client_added(event: ev.ClientAdded) -> None:
        await store.change_client(event)

    @broker.subscriber(topics.CLIENT_REMOVED.name, **subscriber_options(group_id, topics.CLIENT_REMOVED))
    async def on_client_removed(event: ev.ClientRemoved) -> None:
        await store.change_client(event)

    publishes = (
        topics.SYSTEM_REGISTERED,
        topics.SYSTEM_UPDATED,
        topics.SYSTEM_DELETED,
        topics.ACCESS_REQUESTED,
        topics.REQUEST_WITHDRAWN,
    )
    for topic in publishes:
        # Declared for the AsyncAPI document; the outbox relay does the publishing.
        broker.publisher(topic.name, schema=topic.message, title=f"{topic.name}:Publish")

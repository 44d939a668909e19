"""Kafka handlers of the notifier: a line each, into the Notifications service."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from shared import events as ev
from shared import topics
from shared.kafka import subscriber_options

from .service import Notifications
from .store import NotifierStore


def register_consumers(
    broker: KafkaBroker, notifications: Notifications, store: NotifierStore, group_id: str
) -> None:
    @broker.subscriber(
        topics.REQUEST_ESCALATED.name, **subscriber_options(group_id, topics.REQUEST_ESCALATED)
    )
    async def on_request_escalated(event: ev.RequestEscalated) -> None:
        await notifications.escalated(event)

    @broker.subscriber(
        topics.REMINDER_TRIGGERED.name, **subscriber_options(group_id, topics.REMINDER_TRIGGERED)
    )
    async def on_reminder_triggered(event: ev.EscalationReminderTriggered) -> None:
        await notifications.escalated(event)

    @broker.subscriber(topics.ACCESS_CREATED.name, **subscriber_options(group_id, topics.ACCESS_CREATED))
    async def on_access_created(event: ev.SystemAccessCreated) -> None:
        await notifications.outcome(event)

    @broker.subscriber(topics.REQUEST_REJECTED.name, **subscriber_options(group_id, topics.REQUEST_REJECTED))
    async def on_request_rejected(event: ev.SystemAccessRequestRejected) -> None:
        await notifications.outcome(event)

    @broker.subscriber(
        topics.REQUEST_TIMED_OUT.name, **subscriber_options(group_id, topics.REQUEST_TIMED_OUT)
    )
    async def on_request_timed_out(event: ev.RequestTimedOut) -> None:
        await notifications.outcome(event)

    @broker.subscriber(topics.CLIENT_ADDED.name, **subscriber_options(group_id, topics.CLIENT_ADDED))
    async def on_client_added(event: ev.ClientAdded) -> None:
        await notifications.outcome(event)

    @broker.subscriber(topics.CLIENT_REMOVED.name, **subscriber_options(group_id, topics.CLIENT_REMOVED))
    async def on_client_removed(event: ev.ClientRemoved) -> None:
        await notifications.outcome(event)

    @broker.subscriber(topics.ACCESS_DELETED.name, **subscriber_options(group_id, topics.ACCESS_DELETED))
    async def on_access_deleted(event: ev.SystemAccessDeleted) -> None:
        await notifications.outcome(event)

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

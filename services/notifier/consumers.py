"""Kafka handlers of the notifier: one table, topic -> use case."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from shared import topics
from shared.routing import Route, subscribe

from .service import Notifications
from .store import NotifierStore


def register_consumers(
    broker: KafkaBroker, notifications: Notifications, store: NotifierStore, group_id: str
) -> None:
    subscribe(
        broker,
        group_id,
        [
            Route(topics.REQUEST_ESCALATED, notifications.escalated),
            Route(topics.REMINDER_TRIGGERED, notifications.escalated),
            Route(topics.ACCESS_CREATED, notifications.outcome),
            Route(topics.REQUEST_REJECTED, notifications.outcome),
            Route(topics.REQUEST_TIMED_OUT, notifications.outcome),
            Route(topics.CLIENT_ADDED, notifications.outcome),
            Route(topics.CLIENT_REMOVED, notifications.outcome),
            Route(topics.ACCESS_DELETED, notifications.outcome),
            Route(topics.SYSTEM_REGISTERED, store.record_system),
            Route(topics.SYSTEM_UPDATED, store.record_system),
            Route(topics.SYSTEM_DELETED, store.record_system),
        ],
    )

"""The notifier's Kafka subscriptions, as one table: topic -> use case."""

from __future__ import annotations

from typing import Protocol

from shared import topics
from shared.routing import Route

from ..services.planning import PlanNotifications
from ..services.systems import SystemProjection

__all__ = ["KafkaUseCases", "routes"]


class KafkaUseCases(Protocol):
    """The use cases the table routes to (the composition root's Context provides them)."""

    @property
    def planning(self) -> PlanNotifications: ...

    @property
    def system_projection(self) -> SystemProjection: ...


def routes(ctx: KafkaUseCases) -> list[Route]:
    planning, systems = ctx.planning, ctx.system_projection
    return [
        Route(topics.REQUEST_ESCALATED, planning.escalation),
        Route(topics.REMINDER_TRIGGERED, planning.escalation),
        Route(topics.ACCESS_CREATED, planning.outcome),
        Route(topics.REQUEST_REJECTED, planning.outcome),
        Route(topics.REQUEST_TIMED_OUT, planning.outcome),
        Route(topics.CLIENT_ADDED, planning.outcome),
        Route(topics.CLIENT_REMOVED, planning.outcome),
        Route(topics.ACCESS_DELETED, planning.outcome),
        Route(topics.ACCESS_CHANGED, planning.outcome),
        Route(topics.CHANGE_REJECTED, planning.outcome),
        Route(topics.CHANGE_REQUEST_TIMED_OUT, planning.outcome),
        Route(topics.SYSTEM_REGISTERED, systems.record),
        Route(topics.SYSTEM_UPDATED, systems.record),
        Route(topics.SYSTEM_DELETED, systems.forget),
        Route(topics.WEBHOOK_SECRETS_CHANGED, systems.record_secrets),
    ]

"""Kafka subscriptions of request_intake: one table, topic -> use case.

Intake subscribes to the approval service's outcomes to keep the vendor's view current;
what it publishes goes through the outbox, so the publishers are declared only for the
AsyncAPI document.
"""

from __future__ import annotations

from shared import topics
from shared.routing import Route
from shared.topics import Topic

from .deps import HandlerContext

__all__ = ["PUBLISHES", "routes"]

PUBLISHES: tuple[Topic, ...] = (
    topics.SYSTEM_REGISTERED,
    topics.SYSTEM_UPDATED,
    topics.SYSTEM_DELETED,
    topics.WEBHOOK_SECRETS_CHANGED,
    topics.ACCESS_REQUESTED,
    topics.REQUEST_WITHDRAWN,
    topics.CHANGE_REQUESTED,
    topics.CHANGE_REQUEST_WITHDRAWN,
)


def routes(ctx: HandlerContext) -> list[Route]:
    outcomes = ctx.projections
    return [
        Route(topics.ACCESS_CREATED, outcomes.access_created),
        Route(topics.REQUEST_REJECTED, outcomes.request_rejected),
        Route(topics.REQUEST_ESCALATED, outcomes.request_escalated),
        Route(topics.REQUEST_TIMED_OUT, outcomes.request_timed_out),
        Route(topics.ACCESS_DELETED, outcomes.access_deleted),
        Route(topics.CLIENT_ADDED, outcomes.client_added),
        Route(topics.CLIENT_REMOVED, outcomes.client_removed),
        Route(topics.ACCESS_CHANGED, ctx.change_outcomes.access_changed),
        Route(topics.CHANGE_REJECTED, ctx.change_outcomes.change_rejected),
        Route(topics.CHANGE_REQUEST_TIMED_OUT, ctx.change_outcomes.change_timed_out),
    ]

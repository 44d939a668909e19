"""approval's Kafka table: which topic goes to which use case."""

from __future__ import annotations

from shared import topics
from shared.routing import Route

from ..services.decisions import DecisionWorker
from ..services.projections import Projections

__all__ = ["PUBLISHES", "routes"]

# Declared for the AsyncAPI document; the outbox relay and the portal do the publishing.
PUBLISHES = (topics.ACCESS_CREATED, topics.REQUEST_REJECTED, topics.REQUEST_ESCALATED)


def routes(projections: Projections, worker: DecisionWorker) -> list[Route]:
    return [
        Route(topics.ACCESS_REQUESTED, projections.request_arrived),
        Route(topics.REQUEST_WITHDRAWN, projections.request_withdrawn),
        Route(topics.SYSTEM_REGISTERED, projections.system_changed),
        Route(topics.SYSTEM_UPDATED, projections.system_changed),
        Route(topics.SYSTEM_DELETED, projections.system_changed),
        Route(topics.DECIDE_REQUEST, worker.handle),
    ]

"""approval's Kafka table: which topic goes to which use case."""

from __future__ import annotations

from shared import topics
from shared.routing import Route

from ..services.change_requests import ChangeRequestsArriving, ChangeRequestWorker
from ..services.decisions import DecisionWorker
from ..services.projections import Projections

__all__ = ["PUBLISHES", "routes"]

# Declared for the AsyncAPI document; the outbox relay and the portal do the publishing.
PUBLISHES = (
    topics.ACCESS_CREATED,
    topics.REQUEST_REJECTED,
    topics.REQUEST_ESCALATED,
    topics.ACCESS_CHANGED,
    topics.CHANGE_REJECTED,
    topics.CHANGE_REQUEST_TIMED_OUT,
)


def routes(
    projections: Projections,
    worker: DecisionWorker,
    changes: ChangeRequestsArriving | None = None,
    change_worker: ChangeRequestWorker | None = None,
) -> list[Route]:
    table = [
        Route(topics.ACCESS_REQUESTED, projections.request_arrived),
        Route(topics.REQUEST_WITHDRAWN, projections.request_withdrawn),
        Route(topics.SYSTEM_REGISTERED, projections.system_changed),
        Route(topics.SYSTEM_UPDATED, projections.system_changed),
        Route(topics.SYSTEM_DELETED, projections.system_changed),
        Route(topics.DECIDE_REQUEST, worker.handle),
    ]
    if changes is not None and change_worker is not None:
        table += [
            Route(topics.CHANGE_REQUESTED, changes.arrived),
            Route(topics.CHANGE_REQUEST_WITHDRAWN, changes.withdrawn),
            Route(topics.DECIDE_CHANGE_REQUEST, change_worker.handle),
        ]
    return table

"""A service's Kafka wiring as one table: which topic goes to which use case.

Each service lists its subscriptions as ``Route`` rows in ``handlers/kafka.py``; this module
turns the rows into FastStream subscribers with the project's consumer options, so the
options, the group naming and the handler shape are written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from shared.kafka import subscriber_options
from shared.topics import Topic

__all__ = ["Route", "declare_publishers", "subscribe"]

UseCase = Callable[[Any], Awaitable[object]]


@dataclass(frozen=True)
class Route:
    """One row of a service's Kafka table: messages on ``topic`` go to ``use_case``."""

    topic: Topic
    use_case: UseCase


def _handler(route: Route) -> Callable[..., Awaitable[None]]:
    use_case = route.use_case

    async def handle(message: Any) -> None:
        await use_case(message)

    # FastStream parses the payload into the annotated type and names the AsyncAPI channel
    # after the function, so both come from the topic rather than from hand-written code.
    handle.__annotations__ = {"message": route.topic.message, "return": None}
    handle.__name__ = handle.__qualname__ = route.topic.handler_name
    return handle


def subscribe(broker: KafkaBroker, group_id: str, routes: Iterable[Route]) -> None:
    """Register one subscriber per row; offsets are committed only after the use case finished."""
    for route in routes:
        broker.subscriber(route.topic.name, **subscriber_options(group_id, route.topic))(_handler(route))


def declare_publishers(broker: KafkaBroker, topics: Iterable[Topic]) -> None:
    """Declare what a service publishes, for its AsyncAPI document; the outbox relay publishes."""
    for topic in topics:
        broker.publisher(topic.name, schema=topic.message, title=f"{topic.name}:Publish")

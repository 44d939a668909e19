"""Prometheus metrics every service shares: HTTP requests, Kafka messages and consumer lag.

- HTTP: ``sysaccess_http_requests_total{service,method,route,status}`` and
  ``sysaccess_http_request_duration_seconds{service,method,route}``, per route template (never
  the raw path), from prometheus-fastapi-instrumentator's middleware;
- Kafka messages: FastStream's Prometheus middleware, ``faststream_received_messages_total``,
  ``faststream_received_processed_messages_total{status}``,
  ``faststream_received_processed_messages_duration_seconds``,
  ``faststream_received_processed_messages_exceptions_total{exception_type}``,
  ``faststream_published_messages_total{status}`` and friends, by ``app_name`` (the service) and
  ``handler``/``destination`` (the topic); the outbox relay counts its own
  (``shared.outbox``);
- consumer lag: ``sysaccess_consumer_lag{group,topic,partition}``, records between a consumer's
  position and the end of the partition, measured every ``LAG_INTERVAL_SECONDS`` by
  ``ConsumerLag`` (a background task of ``ServiceRuntime``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import structlog
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.metrics import Info

__all__ = [
    "CONSUMER_LAG",
    "HTTP_DURATION",
    "HTTP_REQUESTS",
    "ConsumerLag",
    "instrument_app",
    "instrument_broker",
]

log = structlog.get_logger(__name__)

LAG_INTERVAL_SECONDS = 15.0

HTTP_REQUESTS = Counter(
    "sysaccess_http_requests_total",
    "HTTP requests answered, by route template and status code",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "sysaccess_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CONSUMER_LAG = Gauge(
    "sysaccess_consumer_lag",
    "Records between the consumer group's position and the end of the partition",
    ["group", "topic", "partition"],
)


def instrument_app(app: FastAPI, service: str) -> None:
    """Count and time every request by route template (``none`` for a path no route matches)."""

    def record(info: Info) -> None:
        HTTP_REQUESTS.labels(service, info.method, info.modified_handler, info.modified_status).inc()
        HTTP_DURATION.labels(service, info.method, info.modified_handler).observe(info.modified_duration)

    # Our own instrumentation function, on metrics declared once above: the library's defaults
    # register their metrics per app and silently skip a second app in the same process.
    Instrumentator(should_group_status_codes=False, should_group_untemplated=True).add(record).instrument(app)


def instrument_broker(broker: KafkaBroker, service: str) -> None:
    """Messages consumed and published per topic, with latency and errors. Innermost (next to the
    handler), so a failed attempt that is retried counts as an exception of its topic."""
    broker.add_middleware(KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service))


def _consumers(broker: KafkaBroker) -> Iterator[Any]:
    for subscriber in broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is not None:
            yield consumer


class ConsumerLag:
    """Measures each consumer's lag on its assigned partitions: end offset minus position.

    The position is where the consumer fetches next, so records fetched and still being handled
    do not count; a group that stopped consuming shows its lag grow as producers write.
    Partitions a consumer no longer holds leave the gauge.
    """

    def __init__(self, broker: KafkaBroker, interval_seconds: float = LAG_INTERVAL_SECONDS) -> None:
        self._broker = broker
        self._interval = interval_seconds
        self._reported: set[tuple[str, str, str]] = set()

    async def run(self) -> None:
        task = asyncio.current_task()
        while True:
            try:
                async with asyncio.timeout(max(self._interval, 5.0)):
                    await self.measure()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer_lag.unknown", error=repr(exc))
            # Python 3.11's wait_for can swallow a cancellation that arrives as the awaited call
            # finishes: a task being stopped must stop, or the service's shutdown waits forever.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(self._interval)

    async def measure(self) -> dict[tuple[str, str, str], int]:
        """Set the gauge for every assigned partition; returns what it set."""
        lags: dict[tuple[str, str, str], int] = {}
        for consumer in _consumers(self._broker):
            lags |= await self._lags_of(consumer)
        for gone in self._reported - lags.keys():
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(*gone)
        for labels, lag in lags.items():
            CONSUMER_LAG.labels(*labels).set(lag)
        self._reported = set(lags)
        return lags

    @staticmethod
    async def _lags_of(consumer: Any) -> dict[tuple[str, str, str], int]:
        group = str(getattr(consumer, "_group_id", None) or "none")
        partitions = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
        if not partitions:
            return {}
        ends = await consumer.end_offsets(partitions)
        lags: dict[tuple[str, str, str], int] = {}
        for tp in partitions:
            if tp not in ends:
                continue
            try:
                # Waits only while the position is being reset (just after an assignment).
                position = await asyncio.wait_for(consumer.position(tp), 1.0)
            except Exception as exc:  # revoked meanwhile, or no position yet
                log.debug("consumer_lag.no_position", topic=tp.topic, partition=tp.partition, error=repr(exc))
                continue
            lags[(group, tp.topic, str(tp.partition))] = max(int(ends[tp]) - int(position), 0)
        return lags

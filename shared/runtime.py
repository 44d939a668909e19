"""What every service process holds: Redis, the FastStream broker and the outbox relay.

Built by each service's composition root from its settings; nothing connects until
``start()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import structlog
from faststream.kafka import KafkaBroker
from redis.asyncio import BlockingConnectionPool, Redis

from shared.deadletter import RetryPolicy, dead_letter_middleware
from shared.health import coordinator_failed
from shared.kafka import KafkaCredentials, create_broker, create_producer, ensure_topics
from shared.metrics import ConsumerLag
from shared.metrics import instrument_broker as measure_broker
from shared.observability import FASTSTREAM_LOGGER
from shared.outbox import OutboxRelay
from shared.tracing import instrument_broker as trace_broker

log = structlog.get_logger(__name__)


# How often a service looks for a Kafka consumer that cannot recover by itself.
CONSUMER_CHECK_SECONDS = 5.0

# How long a stopping service waits for its background loops to end after cancelling them.
STOP_TASKS_SECONDS = 10.0

# Redis connections one client may hold at once. A caller past the limit waits (up to
# REDIS_POOL_WAIT_SECONDS) for a connection to come back instead of failing at once, as redis-py's
# default pool would: a burst of requests queues rather than turning into errors.
REDIS_POOL_SIZE = 100
REDIS_POOL_WAIT_SECONDS = 10.0


def create_redis(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    max_connections: int = REDIS_POOL_SIZE,
) -> Redis:
    """A Redis client; ``username``/``password`` log in as an ACL user (the URL may carry them
    too, as ``redis://user:password@host:port/0``; explicit arguments win). Its pool holds at
    most ``max_connections``; past that a command waits for a free connection."""
    login: dict[str, Any] = {}
    if username is not None:
        login["username"] = username
    if password is not None:
        login["password"] = password
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=REDIS_POOL_WAIT_SECONDS,
        decode_responses=True,
        health_check_interval=10,
        socket_connect_timeout=5,
        retry_on_timeout=True,
        **login,
    )
    return Redis.from_pool(pool)


@dataclass
class ServiceRuntime:
    name: str
    kafka_bootstrap: str
    redis: Redis
    broker: KafkaBroker
    specification: KafkaBroker
    """Never started: holds the per-topic channels of the service's AsyncAPI document."""
    outbox_stream: str | None = None
    kafka_credentials: KafkaCredentials | None = None
    redis_url: str = ""
    redis_login: tuple[str | None, str | None] = field(default=(None, None), repr=False)
    _relay: OutboxRelay | None = field(default=None, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, init=False)

    @classmethod
    def build(
        cls,
        name: str,
        kafka_bootstrap: str,
        redis_url: str,
        *,
        outbox_stream: str | None,
        retry: RetryPolicy | None = None,
        kafka_credentials: KafkaCredentials | None = None,
        redis_username: str | None = None,
        redis_password: str | None = None,
    ) -> ServiceRuntime:
        """Without credentials (the default) Kafka and Redis are used without logging in."""
        broker = create_broker(
            kafka_bootstrap,
            client_id=name,
            credentials=kafka_credentials,
            logger=logging.getLogger(FASTSTREAM_LOGGER),
        )
        # Outermost to innermost: trace span, retries and dead letters, per-attempt metrics; the
        # services' batch subscriber (shared.routing) does retries and dead letters per record itself.
        broker.add_middleware(dead_letter_middleware(broker, retry))
        trace_broker(broker)
        measure_broker(broker, name)
        return cls(
            name=name,
            kafka_bootstrap=kafka_bootstrap,
            redis=create_redis(redis_url, username=redis_username, password=redis_password),
            broker=broker,
            specification=create_broker(kafka_bootstrap, client_id=name, credentials=kafka_credentials),
            outbox_stream=outbox_stream,
            kafka_credentials=kafka_credentials,
            redis_url=redis_url,
            redis_login=(redis_username, redis_password),
        )

    async def start(self) -> None:
        await ensure_topics(self.kafka_bootstrap, credentials=self.kafka_credentials)
        await self.broker.start()
        if self.outbox_stream is not None:
            producer = create_producer(
                self.kafka_bootstrap, f"{self.name}-outbox", credentials=self.kafka_credentials
            )
            await producer.start()
            self._relay = OutboxRelay(self.redis, producer, self.outbox_stream)
            self._producer = producer
            self._tasks.append(asyncio.create_task(self._relay.run(), name=f"{self.name}-relay"))
        self._tasks.append(asyncio.create_task(ConsumerLag(self.broker).run(), name=f"{self.name}-lag"))
        self._tasks.append(asyncio.create_task(self._watch_consumers(), name=f"{self.name}-consumers"))
        log.info("service.started", service=self.name)

    async def _watch_consumers(self) -> None:
        """Restart a subscriber whose consumer can no longer recover by itself (its group
        coordination ended with an error); what it had not committed is delivered again."""
        while True:
            await asyncio.sleep(CONSUMER_CHECK_SECONDS)
            for subscriber in list(self.broker.subscribers):
                consumer = getattr(subscriber, "consumer", None)
                if consumer is None or not coordinator_failed(consumer):
                    continue
                log.error(
                    "kafka.consumer.restart", service=self.name, topics=getattr(subscriber, "topics", None)
                )
                try:
                    with contextlib.suppress(Exception):
                        await subscriber.stop()
                    await subscriber.start()
                except Exception as exc:
                    log.error("kafka.consumer.restart_failed", service=self.name, error=repr(exc))

    def extra_redis(self, max_connections: int) -> Redis:
        """Another client of the same Redis, with a pool of its own; closed when the service stops."""
        client = create_redis(
            self.redis_url,
            username=self.redis_login[0],
            password=self.redis_login[1],
            max_connections=max_connections,
        )
        self.on_stop(client.aclose)
        return client

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a background loop for the life of the service."""
        self._tasks.append(asyncio.create_task(coro))

    def on_stop(self, closer: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(closer)

    async def stop(self) -> None:
        if self._relay is not None:
            self._relay.stop()
        for task in self._tasks:
            task.cancel()
        # Bounded: a loop whose cancellation something below it swallowed must not hold the
        # whole shutdown (and the deployment waiting on it) forever.
        done, stuck = (
            await asyncio.wait(self._tasks, timeout=STOP_TASKS_SECONDS) if self._tasks else (set(), set())
        )
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it as never retrieved
        for task in stuck:
            log.error("service.stop.task_stuck", service=self.name, task=task.get_name())
        for closer in self._closers:
            with contextlib.suppress(Exception):
                await closer()
        if self._relay is not None:
            await self._producer.stop()
        await self.broker.stop()
        await self.redis.aclose()
        log.info("service.stopped", service=self.name)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ServiceRuntime]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

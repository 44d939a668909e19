"""Kafka plumbing every service uses: producer settings, the broker factory, topic creation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from faststream.security import SASLScram512

from shared.topics import ALL_TOPICS, NOTIFICATIONS_DEAD_LETTER, Topic

log = structlog.get_logger(__name__)

# Durable, duplicate-free production: every in-sync replica acknowledges, and the broker
# drops a retried batch it has already written.
PRODUCER_CONFIG: Final[dict[str, Any]] = {
    "acks": "all",
    "enable_idempotence": True,
    "linger_ms": 5,
    "request_timeout_ms": 15000,
}

# Consumers commit only after the handler finished; a restart redelivers what was not done.
CONSUMER_CONFIG: Final[dict[str, Any]] = {
    "auto_offset_reset": "earliest",
    "session_timeout_ms": 10000,
    "heartbeat_interval_ms": 1000,
    "max_partition_fetch_bytes": 1_048_576,
    # The broker holds an empty fetch this long. It answers at once when a record arrives on a
    # partition of that fetch, but aiokafka leaves partitions whose records it just handed out
    # out of the fetch in flight, so a record for one of those can wait up to this long: 100 ms
    # bounds that per hop. Every fetch carries all of a service's partitions (33 for the
    # notifier), so an idle consumer polling twice as often (50 ms) costs the broker about
    # twice as much; 100 ms keeps an idle broker under 5% of a core.
    "fetch_max_wait_ms": 100,
}

# One batch subscriber per service (``shared.routing``): at most this many records per batch,
# and an idle consumer loop wakes this often (records wake it at once).
BATCH_CONFIG: Final[dict[str, int]] = {
    "max_records": 200,
    "poll_ms": 1000,
}


@dataclass(frozen=True)
class KafkaCredentials:
    """A SASL/SCRAM-SHA-512 login on a plaintext (loopback) listener."""

    username: str
    password: str = field(repr=False)
    mechanism: str = "SCRAM-SHA-512"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        return {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }

    def security(self) -> SASLScram512:
        """The same login for FastStream's ``KafkaBroker(security=...)``."""
        return SASLScram512(username=self.username, password=self.password)


def _client_options(credentials: KafkaCredentials | None) -> dict[str, Any]:
    return credentials.client_options() if credentials is not None else {}


def subscriber_options(group_id: str, topic: Topic) -> dict[str, Any]:
    """A single-topic subscriber in its own group ``<group_id>.<topic>``, committing each message
    after its handler finished. The services use ``shared.routing.subscribe`` instead (one batch
    consumer per service); this shape remains for one-off consumers and the AsyncAPI channels."""
    return {"group_id": f"{group_id}.{topic.name}", "ack_policy": AckPolicy.NACK_ON_ERROR, **CONSUMER_CONFIG}


def create_broker(
    bootstrap: str, client_id: str, *, credentials: KafkaCredentials | None = None, **kwargs: Any
) -> KafkaBroker:
    """The service's broker; with ``credentials`` it logs in with SASL/SCRAM-SHA-512."""
    if credentials is not None:
        kwargs["security"] = credentials.security()
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        log_level=logging.DEBUG,
        acks=PRODUCER_CONFIG["acks"],
        enable_idempotence=PRODUCER_CONFIG["enable_idempotence"],
        linger_ms=PRODUCER_CONFIG["linger_ms"],
        request_timeout_ms=PRODUCER_CONFIG["request_timeout_ms"],
        **kwargs,
    )


def create_producer(
    bootstrap: str, client_id: str, *, credentials: KafkaCredentials | None = None
) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, **PRODUCER_CONFIG, **_client_options(credentials)
    )


def topic_names(topics: Iterable[Topic] = ALL_TOPICS, *, with_dead_letters: bool = True) -> list[str]:
    names: list[str] = []
    for topic in topics:
        names.append(topic.name)
        if with_dead_letters:
            names.append(topic.dead_letter)
    return names


async def ensure_topics(
    bootstrap: str,
    topics: Sequence[Topic] = ALL_TOPICS,
    *,
    attempts: int = 30,
    credentials: KafkaCredentials | None = None,
) -> None:
    """Create every topic (and its dead-letter topic) that does not exist yet.

    Topic auto-creation is off on our brokers so a typo cannot invent a topic; this runs at
    every service start and is harmless when the topics exist. On a broker with ACLs the
    topics are created by ``admin`` when the broker starts; a service only sees that they exist.
    """
    wanted = [NewTopic(t.name, t.partitions, 1) for t in topics]
    wanted += [NewTopic(t.dead_letter, 1, 1) for t in topics]
    wanted.append(NewTopic(NOTIFICATIONS_DEAD_LETTER, 1, 1))
    for attempt in range(attempts):
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=10000, **_client_options(credentials)
        )
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t.name not in existing]
            if missing:
                await admin.create_topics(missing)
            return
        except TopicAlreadyExistsError:
            return
        except KafkaError as exc:
            log.warning("kafka.topics.retry", attempt=attempt, error=repr(exc))
            await asyncio.sleep(min(0.2 * 2**attempt, 2.0))
        finally:
            await admin.close()
    raise RuntimeError(f"could not create Kafka topics on {bootstrap}")

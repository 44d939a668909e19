"""Bounded retries with back-off, then a dead-letter topic, for every consumer.

A message whose handler keeps failing must not block its partition forever, nor spin the
CPU: it is retried a few times with exponential back-off, then written, with the error, to
``<topic>.dlq`` and acknowledged. A message that cannot even be parsed is not retried.
If writing the dead letter itself fails, the error propagates and the message is redelivered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from prometheus_client import Counter
from pydantic import ValidationError
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

T = TypeVar("T")
log = structlog.get_logger(__name__)

DEAD_LETTERS = Counter(
    "sysaccess_dead_letters_total", "Messages sent to a dead-letter topic", ["topic", "reason"]
)
HANDLER_RETRIES = Counter("sysaccess_handler_retries_total", "Handler retries", ["topic"])


class PermanentError(Exception):
    """The message can never be processed; retrying is pointless."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay: float = 0.1
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.first_delay * 2 ** (attempt - 1), self.max_delay))


# An outage of what every message needs (Redis, the broker) is nobody's message's fault: such a
# message waits, retried with capped back-off, for as long as the outage lasts, instead of
# using up its attempts and landing in the dead-letter topic.
TRANSIENT = (
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    ConnectionError,
    TimeoutError,
)
OUTAGE_WAITS = Counter(
    "sysaccess_handler_outage_waits_total", "Handler retries while a dependency is down", ["topic"]
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)


def is_permanent(exc: BaseException) -> bool:
    return isinstance(exc, PermanentError | ValidationError | json.JSONDecodeError | UnicodeDecodeError)


async def handle_with_retries(
    topic: str,
    handle: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    dead_letter: Callable[[BaseException, int], Awaitable[None]],
) -> T | None:
    """``handle()``, waiting out outages and retrying other errors with back-off; after the
    last attempt (at once for a message that can never be handled) ``dead_letter(exc, attempts)``."""
    attempt = outage = 1
    while True:
        try:
            return await handle()
        except Exception as exc:
            if is_transient(exc):
                OUTAGE_WAITS.labels(topic).inc()
                log.warning("consumer.outage_wait", topic=topic, error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(policy.delay(outage))
                outage += 1
                continue
            if is_permanent(exc) or attempt >= policy.attempts:
                await dead_letter(exc, attempt)
                return None
            HANDLER_RETRIES.labels(topic).inc()
            log.warning("consumer.retry", topic=topic, attempt=attempt, error=repr(exc))
            await asyncio.sleep(policy.delay(attempt))
            attempt += 1


class DeadLetterMiddleware(BaseMiddleware):
    def __init__(
        self,
        msg: Any,
        /,
        *,
        context: Any,
        broker: KafkaBroker,
        policy: RetryPolicy,
    ) -> None:
        super().__init__(msg, context=context)
        self._broker = broker
        self._policy = policy

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        if isinstance(msg.raw_message, tuple):
            # A batch (``shared.routing``) retries and dead-letters its records one by one itself.
            return await call_next(msg)
        topic = str(getattr(msg.raw_message, "topic", "unknown"))

        async def dead_letter(exc: BaseException, attempts: int) -> None:
            await self._dead_letter(topic, msg, exc, attempts)

        return await handle_with_retries(topic, lambda: call_next(msg), self._policy, dead_letter)

    async def _dead_letter(self, topic: str, msg: Any, exc: BaseException, attempts: int) -> None:
        raw = msg.raw_message
        reason = "invalid" if is_permanent(exc) else "exhausted"
        headers = {
            "dlq-error": f"{type(exc).__name__}: {exc}"[:2000],
            "dlq-reason": reason,
            "dlq-attempts": str(attempts),
            "dlq-original-topic": topic,
            "dlq-original-partition": str(getattr(raw, "partition", "")),
            "dlq-original-offset": str(getattr(raw, "offset", "")),
        }
        await self._broker.publish(
            msg.body, topic=f"{topic}.dlq", key=getattr(raw, "key", None), headers=headers
        )
        DEAD_LETTERS.labels(topic, reason).inc()
        log.error("consumer.dead_letter", topic=topic, reason=reason, error=repr(exc)[:300])


class DeadLetters:
    """Writes one consumed record, with the error, to its topic's dead-letter topic."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send(self, record: Any, exc: BaseException, attempts: int) -> None:
        """Raises when the dead letter could not be written (the record must then be redelivered)."""
        topic = str(record.topic)
        reason = "invalid" if is_permanent(exc) else "exhausted"
        headers = {
            **{name: value.decode(errors="replace") for name, value in record.headers or ()},
            "dlq-error": repr(exc)[:2000],
            "dlq-reason": reason,
            "dlq-attempts": str(attempts),
            "dlq-original-topic": topic,
            "dlq-original-partition": str(record.partition),
            "dlq-original-offset": str(record.offset),
        }
        await self._broker.publish(record.value or b"", topic=f"{topic}.dlq", key=record.key, headers=headers)
        DEAD_LETTERS.labels(topic, reason).inc()
        log.error("consumer.dead_letter", topic=topic, reason=reason, error=repr(exc)[:300])


def dead_letter_middleware(
    broker: KafkaBroker, policy: RetryPolicy | None = None
) -> Callable[..., DeadLetterMiddleware]:
    chosen = policy or RetryPolicy()

    def factory(msg: Any, /, *, context: Any) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(msg, context=context, broker=broker, policy=chosen)

    return factory

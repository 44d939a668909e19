"""A service restarts a subscriber whose Kafka consumer's group coordination died (it would never
fetch again), and reports not ready while it is so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared import runtime as runtime_module
from shared.health import coordinator_failed
from shared.runtime import ServiceRuntime

pytestmark = pytest.mark.unit


class Coordinator:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._coordination_task = task


class Consumer:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._coordinator = Coordinator(task)


class Subscriber:
    def __init__(self, consumer: Consumer) -> None:
        self.consumer: Consumer | None = consumer
        self.topics = ["t"]
        self.calls: list[str] = []

    async def stop(self) -> None:
        self.calls.append("stop")
        self.consumer = None

    async def start(self) -> None:
        self.calls.append("start")
        self.consumer = Consumer(asyncio.create_task(asyncio.sleep(3600)))


class Broker:
    def __init__(self, subscribers: list[Subscriber]) -> None:
        self.subscribers = subscribers


async def _failed() -> None:
    raise RuntimeError("unable to perform operation on <TCPTransport closed=True>; the handler is closed")


async def test_a_consumer_whose_coordination_died_is_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "CONSUMER_CHECK_SECONDS", 0.01)
    dead = asyncio.create_task(_failed())
    healthy = asyncio.create_task(asyncio.sleep(3600))
    await asyncio.sleep(0)
    broken, fine = Subscriber(Consumer(dead)), Subscriber(Consumer(healthy))
    assert coordinator_failed(broken.consumer)
    assert not coordinator_failed(fine.consumer)
    runtime: Any = object.__new__(ServiceRuntime)
    runtime.name = "test"
    runtime.broker = Broker([broken, fine])
    watch = asyncio.create_task(ServiceRuntime._watch_consumers(runtime))
    await asyncio.sleep(0.1)
    watch.cancel()
    assert broken.calls == ["stop", "start"]
    assert fine.calls == []
    assert broken.consumer is not None
    assert not coordinator_failed(broken.consumer)
    for task in (healthy, broken.consumer._coordinator._coordination_task):
        task.cancel()

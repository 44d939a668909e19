"""A service's shutdown ends even when one of its background loops ignores being cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from shared import runtime as runtime_module
from shared.runtime import ServiceRuntime

pytestmark = pytest.mark.unit


class Closable:
    def __init__(self) -> None:
        self.closed = False

    async def stop(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


async def stubborn(released: asyncio.Event) -> None:
    """A loop that swallows its cancellation and goes on, as one did in the full suite (until
    the test releases it)."""
    while not released.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await released.wait()


async def test_stop_gives_up_on_a_loop_that_ignores_cancellation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "STOP_TASKS_SECONDS", 0.2)
    runtime: Any = object.__new__(ServiceRuntime)
    runtime.name, runtime._relay, runtime._closers = "test", None, []
    runtime.broker, runtime.redis = Closable(), Closable()
    obedient = asyncio.create_task(asyncio.sleep(3600))
    released = asyncio.Event()
    stuck = asyncio.create_task(stubborn(released))
    runtime._tasks = [obedient, stuck]
    await asyncio.sleep(0)

    began = time.monotonic()
    await asyncio.wait_for(ServiceRuntime.stop(runtime), timeout=5)

    assert time.monotonic() - began < 2
    assert obedient.cancelled()
    assert runtime.broker.closed
    assert runtime.redis.closed
    assert not stuck.done()  # left behind, and logged as stuck
    released.set()
    await asyncio.wait_for(stuck, timeout=1)

"""The consumer-lag task stops when it is cancelled, even if a measurement swallowed the cancellation
(Python 3.11's ``asyncio.wait_for`` can, when the awaited call finishes at the same moment); else a
service's shutdown waits for it forever."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from shared.metrics import ConsumerLag

pytestmark = pytest.mark.unit


class SwallowingLag(ConsumerLag):
    async def measure(self) -> dict[tuple[str, str, str], int]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return {}  # what wait_for's race amounts to: the cancellation is gone
        return {}


async def test_a_swallowed_cancellation_still_stops_the_task() -> None:
    task = asyncio.create_task(SwallowingLag(cast(Any, None), interval_seconds=0.01).run())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2.0)

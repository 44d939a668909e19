"""The flows benchmark tells a second outcome for a request from the same event delivered again."""

from __future__ import annotations

import pytest

from sysaccess.bench_flows import OutcomeWatcher

pytestmark = pytest.mark.unit


async def test_the_same_event_again_is_a_redelivery_and_another_event_a_duplicate() -> None:
    watcher = OutcomeWatcher("127.0.0.1:1", ("sysaccess.access-created.v1",))
    watcher.saw("r1", "e1", 1.0)
    watcher.saw("r1", "e1", 2.0)
    assert (watcher.redelivered, watcher.duplicates) == (1, 0)
    watcher.saw("r1", "e2", 3.0)
    assert (watcher.redelivered, watcher.duplicates) == (1, 1)
    assert watcher.seen == {"r1": 1.0}


async def test_records_without_an_event_id_count_every_repeat_as_a_duplicate() -> None:
    watcher = OutcomeWatcher("127.0.0.1:1", ("raw",), id_field="i")
    watcher.saw("1", None, 1.0)
    watcher.saw("1", None, 1.5)
    assert (watcher.redelivered, watcher.duplicates) == (0, 1)

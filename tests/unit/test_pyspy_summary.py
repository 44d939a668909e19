"""Where a service's CPU went, by library, from py-spy's raw (collapsed) stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from sysaccess.pyspy import category_of, summarize

pytestmark = pytest.mark.unit

SITE = "/work/main/.venv/lib/python3.11/site-packages"
LOOP = "run (/usr/lib/python3.11/asyncio/events.py:84)"


def test_the_innermost_known_library_is_charged() -> None:
    use_case = "open (/work/main/services/request_intake/services/requests.py:70)"
    into_redis = f"{LOOP};{use_case};execute ({SITE}/redis/asyncio/client.py:1520)"
    assert category_of(into_redis) == "redis-py"
    project_only = f"{LOOP};decide_creation (/work/main/services/request_intake/domain/duplicates.py:40)"
    assert category_of(project_only) == "project code"
    assert category_of("<module> (/tmp/elsewhere.py:1)") == "other"


def test_asyncio_is_seen_through_to_its_caller() -> None:
    write = "writelines (asyncio/streams.py:346)"
    assert category_of(f"{LOOP};execute (redis/asyncio/client.py:1520);{write}") == "redis-py (socket writes)"
    assert category_of(LOOP) == "event loop (uvloop, C code under it)"


def test_summary_gives_shares_largest_first(tmp_path: Path) -> None:
    raw = tmp_path / "approval.txt"
    raw.write_text(
        f"{LOOP};send ({SITE}/aiokafka/producer/producer.py:400) 30\n"
        f"{LOOP};get ({SITE}/redis/asyncio/client.py:600) 60\n"
        f"{LOOP} 10\n"
    )
    total, shares = summarize(raw)
    assert total == 100
    assert shares == [("redis-py", 0.6), ("aiokafka", 0.3), ("event loop (uvloop, C code under it)", 0.1)]


def test_an_empty_profile_has_no_shares(tmp_path: Path) -> None:
    (tmp_path / "idle.txt").write_text("")
    assert summarize(tmp_path / "idle.txt") == (0, [])

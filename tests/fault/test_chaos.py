"""Fault runs at CI size: each scenario drives 200 full flows through the real system while its
fault is injected; nothing may be lost or done twice. Larger runs: `sysaccess chaos SCENARIO --flows N`."""

from __future__ import annotations

import pytest
from rich.console import Console

from sysaccess.chaos import SCENARIOS, run_scenario
from sysaccess.infra import PROJECT_ROOT

CI_FLOWS = 200


@pytest.mark.timeout(600)
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_scenario_loses_and_duplicates_nothing(scenario: str) -> None:
    report = await run_scenario(
        scenario,
        CI_FLOWS,
        console=Console(quiet=True),
        folder=PROJECT_ROOT / "var" / "test" / "chaos" / scenario,
    )
    # On failure, say which flows lacked what and what the driver saw; the run folder (logs,
    # Kafka and Redis data) is kept for a failed run.
    summary = {**dict(report.rows()), "missing": report.missing[:10], "problems": report.problems}
    assert report.accepted == CI_FLOWS, summary
    assert report.lost == 0, summary
    assert report.duplicated == 0, summary
    assert report.outcome_events >= CI_FLOWS, summary
    if scenario == "poison":
        # Three poison messages per consumed topic and round, each dead-lettered by every group reading it.
        assert report.dead_letters >= 3, summary
        assert report.idle_cpu_percent < 50, summary
    else:
        assert report.faults, summary

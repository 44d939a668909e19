"""Decisions are counted by outcome, and the time from a request to its decision is measured;
a redelivered command counts nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from shared import events as ev
from tests.unit.approval.conftest import EMPLOYEE, MANAGER, PARTY, InMemoryApproval

pytestmark = pytest.mark.unit


def decide(request_id: str, pid: str, decision: ev.Decision) -> ev.DecideRequest:
    return ev.DecideRequest(
        request_id=uuid.UUID(request_id), party_org_no=PARTY, decision=decision, actor_pid=pid
    )


def value(name: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0


async def test_decisions_are_counted_by_outcome_with_the_time_since_the_request(
    approval: InMemoryApproval,
) -> None:
    accepted = value("sysaccess_decisions_total", "accepted")
    refused = value("sysaccess_decisions_total", "refused")
    rejected = value("sysaccess_decisions_total", "rejected")
    timed = value("sysaccess_decision_seconds_count", "accepted")
    total_seconds = value("sysaccess_decision_seconds_sum", "accepted")

    first = await approval.arrive()
    second = await approval.arrive()
    approval.clock.now += timedelta(hours=2)
    command = decide(first, MANAGER, ev.Decision.APPROVE)
    await approval.worker.handle(command)
    await approval.worker.handle(command)  # redelivered: not a second decision
    await approval.worker.handle(decide(second, EMPLOYEE, ev.Decision.APPROVE))  # not allowed
    await approval.worker.handle(decide(second, MANAGER, ev.Decision.REJECT))

    assert value("sysaccess_decisions_total", "accepted") == accepted + 1
    assert value("sysaccess_decisions_total", "refused") == refused + 1
    assert value("sysaccess_decisions_total", "rejected") == rejected + 1
    assert value("sysaccess_decision_seconds_count", "accepted") == timed + 1
    assert value("sysaccess_decision_seconds_sum", "accepted") == pytest.approx(total_seconds + 7200)
    assert value("sysaccess_decision_seconds_count", "refused") == 0


async def test_a_request_nobody_decided_counts_as_timed_out_once(approval: InMemoryApproval) -> None:
    before = value("sysaccess_decisions_total", "timed_out")
    await approval.arrive(ttl=timedelta(days=1))
    approval.clock.now += timedelta(days=1)
    await approval.expiry.run_once()
    await approval.expiry.run_once()
    assert value("sysaccess_decisions_total", "timed_out") == before + 1

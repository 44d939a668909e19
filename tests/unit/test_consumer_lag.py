"""Consumer lag per group, topic and partition: end offset minus position, on fakes of aiokafka's
consumer; partitions a consumer no longer holds leave the gauge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from shared.metrics import ConsumerLag

pytestmark = pytest.mark.unit


@dataclass
class FakeConsumer:
    _group_id: str
    ends: dict[TopicPartition, int]
    positions: dict[TopicPartition, int]
    assigned: set[TopicPartition] = field(default_factory=set)

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.ends[tp] for tp in partitions}

    async def position(self, tp: TopicPartition) -> int:
        if tp not in self.positions:
            raise AssertionError("Partition is not assigned")
        return self.positions[tp]


@dataclass
class FakeSubscriber:
    consumer: Any


@dataclass
class FakeBroker:
    subscribers: list[FakeSubscriber]


def lag(group: str, topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "sysaccess_consumer_lag", {"group": group, "topic": topic, "partition": str(partition)}
    )


async def test_lag_is_the_end_offset_minus_the_position_per_partition() -> None:
    p0, p1 = TopicPartition("unit.lag.v1", 0), TopicPartition("unit.lag.v1", 1)
    consumer = FakeConsumer(
        "unit-lag-group", ends={p0: 120, p1: 7}, positions={p0: 20, p1: 7}, assigned={p0, p1}
    )
    idle = FakeSubscriber(None)  # a subscriber not started yet has no consumer
    lags = ConsumerLag(FakeBroker([FakeSubscriber(consumer), idle]))  # type: ignore[arg-type]

    measured = await lags.measure()

    assert measured == {
        ("unit-lag-group", "unit.lag.v1", "0"): 100,
        ("unit-lag-group", "unit.lag.v1", "1"): 0,
    }
    assert lag("unit-lag-group", "unit.lag.v1", 0) == 100
    assert lag("unit-lag-group", "unit.lag.v1", 1) == 0

    consumer.ends[p0] = 150  # producers write, the consumer is stuck: the lag grows
    await lags.measure()
    assert lag("unit-lag-group", "unit.lag.v1", 0) == 130

    consumer.positions[p0] = 150
    await lags.measure()
    assert lag("unit-lag-group", "unit.lag.v1", 0) == 0


async def test_a_revoked_partition_leaves_the_gauge_and_one_without_position_is_skipped() -> None:
    p0, p1 = TopicPartition("unit.lag.v2", 0), TopicPartition("unit.lag.v2", 1)
    consumer = FakeConsumer("unit-lag-group-2", ends={p0: 5, p1: 9}, positions={p0: 1}, assigned={p0, p1})
    lags = ConsumerLag(FakeBroker([FakeSubscriber(consumer)]))  # type: ignore[arg-type]

    assert await lags.measure() == {("unit-lag-group-2", "unit.lag.v2", "0"): 4}
    assert lag("unit-lag-group-2", "unit.lag.v2", 1) is None

    consumer.assigned = {p1}  # a rebalance moved partition 0 to another member
    consumer.positions = {p1: 3}
    await lags.measure()
    assert lag("unit-lag-group-2", "unit.lag.v2", 0) is None
    assert lag("unit-lag-group-2", "unit.lag.v2", 1) == 6

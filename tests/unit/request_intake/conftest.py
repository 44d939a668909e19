"""Intake's use cases wired to in-memory fakes, one fresh set per test."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from uuid import UUID

import pytest

from services.request_intake.services.accesses import SystemAccesses
from services.request_intake.services.projections import OutcomeProjection
from services.request_intake.services.requests import AccessRequests
from services.request_intake.services.system_register import SystemRegister
from shared.sealing import SecretBox
from tests.unit.request_intake.fakes import (
    FakeClock,
    Memory,
    MemoryAccessReader,
    MemoryOutcomeStore,
    MemoryRequestStore,
    MemorySystemStore,
    registered,
    world,
)

SEAL_KEY = "unit-test-sealing-key-0123456789abcdef"
TTL = timedelta(days=180)
GRACE = timedelta(hours=24)


@pytest.fixture
def memory() -> Memory:
    return Memory()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def systems(memory: Memory, clock: FakeClock) -> SystemRegister:
    return SystemRegister(
        MemorySystemStore(memory), world(), sealer=SecretBox([SEAL_KEY]), secret_grace=GRACE, clock=clock
    )


@pytest.fixture
def requests(memory: Memory, clock: FakeClock) -> AccessRequests:
    """Requests against the seeded SmartCloud system; ids are 00000000-…-000000000001, 2, …"""
    memory.systems[registered().id] = registered()
    ids = count(1)
    return AccessRequests(
        MemoryRequestStore(memory),
        MemorySystemStore(memory),
        world(),
        request_ttl=TTL,
        page_size=2,
        require_known_party=False,
        clock=clock,
        new_id=lambda: UUID(int=next(ids)),
    )


@pytest.fixture
def accesses(memory: Memory) -> SystemAccesses:
    memory.systems[registered().id] = registered()
    return SystemAccesses(MemoryAccessReader(memory), MemorySystemStore(memory), world())


@pytest.fixture
def projection(memory: Memory) -> OutcomeProjection:
    return OutcomeProjection(MemoryOutcomeStore(memory))

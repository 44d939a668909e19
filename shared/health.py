"""Readiness checks shared by the services' /health endpoints."""

from __future__ import annotations

import asyncio
from typing import Any

from faststream.kafka import KafkaBroker
from redis.asyncio import Redis


async def check_dependencies(redis: Redis, broker: KafkaBroker) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(redis.ping(), timeout=2)
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {exc!r}"
    try:
        checks["kafka"] = "ok" if await asyncio.wait_for(broker.ping(timeout=2), 3) else "down"
    except Exception as exc:
        checks["kafka"] = f"error: {exc!r}"
    return checks

"""An outage of Redis or Kafka during a call is a 503 the client may retry, never a 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.problems import install_problem_handlers

pytestmark = pytest.mark.unit


async def test_a_redis_outage_is_503_with_retry_after() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def things() -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post("/things")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"] == "application/problem+json"
    assert "127.0.0.1" not in answer.text

"""Liveness and readiness against the real Kafka and Redis: the status code tells the truth."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared import events as ev
from shared import topics
from shared.routing import Route, subscribe
from shared.runtime import ServiceRuntime
from shared.webapp import Exposure, create_service_app
from sysaccess.infra import free_port
from sysaccess.kafka_logins import admin_login
from tests.support.infra import Endpoints

pytestmark = pytest.mark.integration
TOKEN = "internal-test-token"


def service(kafka: str, redis_url: str) -> ServiceRuntime:
    runtime = ServiceRuntime.build(
        "readiness-probe", kafka, redis_url, outbox_stream=None, kafka_credentials=admin_login(kafka)
    )

    async def ignore(_event: ev.SystemRegistered) -> None:
        return None

    subscribe(runtime.broker, f"readiness-{free_port()}", [Route(topics.SYSTEM_REGISTERED, ignore)])
    return runtime


async def get(app: object, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:  # type: ignore[arg-type]
        return await http.get(path, headers=headers)


async def test_ready_only_when_redis_kafka_and_the_consumers_are(endpoints: Endpoints) -> None:
    runtime = service(endpoints.kafka_bootstrap, endpoints.redis_url)
    app = create_service_app(runtime, title="t", description="d", exposure=Exposure(internal_token=TOKEN))
    assert (await get(app, "/livez")).status_code == 200
    assert (await get(app, "/readyz")).status_code == 503  # nothing started yet
    async with runtime.running():
        for _ in range(100):
            ready = await get(app, "/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert ready.json() == {"status": "ready"}
        detailed = await get(app, "/readyz", TOKEN)
        assert detailed.json() == {"status": "ready", "redis": "ok", "kafka": "ok", "consumers": "ok"}


async def test_a_dead_redis_is_not_ready_and_anonymous_callers_learn_nothing_more(
    endpoints: Endpoints,
) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    runtime = service(endpoints.kafka_bootstrap, dead_redis)
    app = create_service_app(runtime, title="t", description="d", exposure=Exposure(internal_token=TOKEN))
    await runtime.broker.start()
    try:
        anonymous = await get(app, "/readyz")
        wrong_token = await get(app, "/health", "guess")
        detailed = await get(app, "/readyz", TOKEN)
    finally:
        await runtime.broker.stop()
        await runtime.redis.aclose()
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "not-ready"}
    assert wrong_token.json() == {"status": "down"}
    assert detailed.json()["redis"] == "down"
    assert "Error" not in detailed.text


async def test_docs_and_metrics_can_be_turned_off(endpoints: Endpoints) -> None:
    runtime = service(endpoints.kafka_bootstrap, endpoints.redis_url)
    app = create_service_app(
        runtime, title="t", description="d", exposure=Exposure(docs=False, metrics=False)
    )
    for path in ("/docs", "/openapi.json", "/metrics"):
        assert (await get(app, path)).status_code == 404, path
    await runtime.redis.aclose()

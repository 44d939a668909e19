"""Killing request_intake between storing a request and publishing it loses nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from sysaccess.infra import free_port
from sysaccess.processes import ServiceProcess
from tests.conftest import TokenFactory
from tests.integration.test_intake_api import BASE, standard_request
from tests.support.infra import Endpoints
from tests.support.kafka import read_all, wait_for_records

TOPIC = "sysaccess.access-requested.v1"


def intake_process(endpoints: Endpoints, prefix: str, log: Path, *, relay: bool) -> ServiceProcess:
    port = free_port()
    env = {
        "INTAKE_PORT": str(port),
        "INTAKE_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "INTAKE_REDIS_URL": endpoints.services_redis,
        "INTAKE_REDIS_PREFIX": prefix,
        "INTAKE_CONSUMER_GROUP": f"request-{prefix}",
        "INTAKE_TOKEN_ISSUER": f"{endpoints.oidc_url}/maskinporten",
        "INTAKE_SEED_SYSTEMS": "true",
        "INTAKE_OUTBOX_RELAY": "true" if relay else "false",
        "SYSACCESS_ENV": "local",
        **endpoints.service_env,
    }
    return ServiceProcess("request_intake", port, env, log)


async def test_kill_between_store_and_publish(
    endpoints: Endpoints, token_for: TokenFactory, tmp_path: Path
) -> None:
    prefix = f"intake-crash-{uuid.uuid4().hex[:8]}"
    stalled = intake_process(endpoints, prefix, tmp_path / "first.log", relay=False)
    stalled.start()
    try:
        stalled.wait_healthy()
        body = standard_request()
        async with httpx.AsyncClient(base_url=stalled.url) as client:
            response = await client.post(
                f"{BASE}/systemuser/request/vendor",
                json=body,
                headers={"Authorization": f"Bearer {token_for()}"},
            )
        assert response.status_code == 201
        request_id = response.json()["id"]
    finally:
        stalled.kill()

    def ours(record: dict[str, object]) -> bool:
        value = record["value"]
        return isinstance(value, dict) and value.get("requestId") == request_id

    assert [r for r in await read_all(endpoints.kafka_bootstrap, TOPIC) if ours(r)] == []

    restarted = intake_process(endpoints, prefix, tmp_path / "second.log", relay=True)
    restarted.start()
    try:
        restarted.wait_healthy()
        published = await wait_for_records(endpoints.kafka_bootstrap, TOPIC, ours, settle=2.0)
        assert len(published) == 1
    finally:
        restarted.stop()

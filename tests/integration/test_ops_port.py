"""With an operators' port, metrics and docs leave the public port and readiness details move there."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from sysaccess.infra import free_port
from sysaccess.processes import ServiceProcess
from tests.support.infra import Endpoints


def test_metrics_docs_and_details_are_only_on_the_ops_port(endpoints: Endpoints, tmp_path: Path) -> None:
    prefix = f"intake-ops-{uuid.uuid4().hex[:6]}"
    port, ops_port = free_port(), free_port()
    env = {
        "INTAKE_PORT": str(port),
        "INTAKE_OPS_PORT": str(ops_port),
        "INTAKE_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "INTAKE_REDIS_URL": endpoints.services_redis,
        "INTAKE_REDIS_PREFIX": prefix,
        "INTAKE_CONSUMER_GROUP": f"request-{prefix}",
        "INTAKE_TOKEN_ISSUER": f"{endpoints.oidc_url}/maskinporten",
        "SYSACCESS_ENV": "local",
        **endpoints.service_env,
    }
    process = ServiceProcess("request_intake", port, env, tmp_path / "intake.log")
    process.start()
    try:
        process.wait_healthy()
        public, ops = process.url, f"http://127.0.0.1:{ops_port}"
        for path in ("/metrics", "/docs", "/openapi.json"):
            assert httpx.get(public + path).status_code == 404, path
        assert httpx.get(public + "/readyz").json() == {"status": "ready"}
        assert "sysaccess_ready" in httpx.get(ops + "/metrics").text
        assert httpx.get(ops + "/readyz").json()["kafka"] == "ok"
        assert (
            "/authentication/api/v1/systemregister/vendor" in httpx.get(ops + "/openapi.json").json()["paths"]
        )
        assert httpx.get(ops + "/docs").status_code == 200
    finally:
        process.stop()

"""A real request_intake process on the session's Kafka and Redis, scraped as Prometheus would:
its operators' port shows the HTTP request it answered (by route template and status), the
outbox it relayed, readiness, consumer lag per group and partition, and FastStream's message
metrics; its log is JSON lines, the access line with the request id and the trace id."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sysaccess.flows import TIGER
from sysaccess.infra import free_port
from sysaccess.processes import ServiceProcess
from tests.conftest import SMARTCLOUD_SYSTEM, TokenFactory
from tests.support.infra import Endpoints

ROUTE = "/authentication/api/v1/systemuser/request/vendor"


def scrape(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(httpx.get(url, timeout=15).text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


def wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(180)
def test_the_ops_port_serves_the_metrics_that_matter(
    endpoints: Endpoints, token_for: TokenFactory, tmp_path: Path
) -> None:
    prefix = f"intake-metrics-{uuid.uuid4().hex[:6]}"
    group = f"request-{prefix}"
    port, ops_port = free_port(), free_port()
    env = {
        "INTAKE_PORT": str(port),
        "INTAKE_OPS_PORT": str(ops_port),
        "INTAKE_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "INTAKE_REDIS_URL": endpoints.services_redis,
        "INTAKE_REDIS_PREFIX": prefix,
        "INTAKE_CONSUMER_GROUP": group,
        "INTAKE_TOKEN_ISSUER": f"{endpoints.oidc_url}/maskinporten",
        "INTAKE_SEED_SYSTEMS": "true",
        "SYSACCESS_ENV": "local",
        **endpoints.service_env,
    }
    log = tmp_path / "intake.log"
    process = ServiceProcess("request_intake", port, env, log)
    process.start()
    try:
        process.wait_healthy()
        metrics = f"http://127.0.0.1:{ops_port}/metrics"
        body = {
            "systemId": SMARTCLOUD_SYSTEM,
            "partyOrgNo": TIGER,
            "externalRef": uuid.uuid4().hex,
            "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
            "redirectUrl": "https://smartcloud.example/receipt",
        }
        posted = httpx.post(
            process.url + ROUTE, json=body, headers={"Authorization": f"Bearer {token_for()}"}, timeout=30
        )
        assert posted.status_code == 201, posted.text
        request_id = posted.headers["x-request-id"]

        stream = f"{prefix}:outbox"
        wait_for(
            lambda: value(scrape(metrics), "sysaccess_outbox_relayed_total", stream=stream) >= 1,
            "the relay to publish the request's event",
        )
        samples = wait_for(
            lambda: (
                (s := scrape(metrics))
                and any(
                    labels["group"].startswith(group) for labels, _ in s.get("sysaccess_consumer_lag", [])
                )
                and s
            ),
            "the consumer lag to be measured",
        )
        assert (
            value(
                samples,
                "sysaccess_http_requests_total",
                service="request-intake",
                method="POST",
                route=ROUTE,
                status="201",
            )
            == 1
        )
        assert (
            value(samples, "sysaccess_http_request_duration_seconds_count", route=ROUTE, method="POST") == 1
        )
        assert value(samples, "sysaccess_outbox_backlog", stream=stream) == 0
        assert value(samples, "sysaccess_outbox_publish_delay_seconds_count", stream=stream) >= 1
        assert value(samples, "sysaccess_ready", service="request-intake") == 1  # /readyz was asked
        lags = [
            labels for labels, _ in samples["sysaccess_consumer_lag"] if labels["group"].startswith(group)
        ]
        assert {labels["topic"] for labels in lags} >= {"sysaccess.access-created.v1"}
        assert all(labels["partition"].isdigit() for labels in lags)
        # FastStream's per-topic message metrics are declared (they count once records arrive).
        text = httpx.get(metrics, timeout=15).text
        for family in (
            "received_messages",
            "received_processed_messages_duration_seconds",
            "published_messages",
        ):
            assert f"# TYPE faststream_{family}" in text, family
    finally:
        process.stop()

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert lines, "the process logged nothing"
    access = [line for line in lines if line.get("logger") == "uvicorn.access" and line.get("path") == ROUTE]
    assert len(access) == 1, access
    assert access[0]["request_id"] == request_id
    assert access[0]["status"] == 201
    assert len(access[0]["trace_id"]) == 32
    assert {line["service"] for line in lines} == {"request-intake"}
    # Libraries' lines come as JSON too (uvicorn's start-up line, FastStream's, aiokafka's).
    assert {line.get("logger", "").split(".")[0] for line in lines} >= {"uvicorn", "shared"}

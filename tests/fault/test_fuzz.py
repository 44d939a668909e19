"""Hostile input, generated from each API's own OpenAPI document (schemathesis).

Every generated call carries valid credentials, so validation and business rules are what
get exercised: no 5xx, every 4xx is problem+json, and a refused call writes nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from redis import Redis

from sysaccess import oidc
from sysaccess.credentials import application_env
from sysaccess.infra import free_port
from sysaccess.portal_login import portal_login
from sysaccess.processes import ServiceProcess
from tests.conftest import TokenFactory
from tests.support.infra import Endpoints

EXAMPLES_PER_OPERATION = 200  # over 2,000 generated cases for each API

COUNT_STATE_KEYS = """
local n = 0
for _, key in ipairs(redis.call('KEYS', ARGV[1] .. ':*')) do
  local counted = true
  for i = 2, #ARGV do
    if string.find(key, ARGV[i], 1, true) then counted = false end
  end
  if counted then n = n + 1 end
end
local added = 0
if redis.call('EXISTS', ARGV[1] .. ':outbox') == 1 then
  -- entries ever added: the relay deleting published entries must not look like a write
  local info = redis.call('XINFO', 'STREAM', ARGV[1] .. ':outbox')
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then added = info[i + 1] end
  end
end
return {n, added}
"""
# Idempotency records of consumed events, sessions and the directory seed are not what a call
# writes; every other key, and the outbox, must stay unchanged when a call is refused.
BACKGROUND_KEYS = (":inbox:", ":session:", ":dir:")


class StateProbe:
    """Counts a service's state keys and outbox length, to prove a refused call wrote nothing."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self.redis = Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix
        self.script = self.redis.register_script(COUNT_STATE_KEYS)

    def wait_quiet(self, quiet_seconds: float = 3.0, timeout: float = 90.0) -> None:
        """Wait until the service has caught up with the shared topics (no background writes)."""
        deadline = time.monotonic() + timeout
        last, since = self.snapshot(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            current = self.snapshot()
            if current != last:
                last, since = current, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return
        raise AssertionError("the service never stopped writing in the background")

    def snapshot(self) -> tuple[int, int]:
        count, outbox = self.script(args=[self.prefix, *BACKGROUND_KEYS])
        return int(count), int(outbox)


def content_type(response: Any) -> str:
    headers = {k.lower(): v for k, v in response.headers.items()}
    value = headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) else value)


def check(response: Any, before: tuple[int, int], probe: StateProbe, label: str) -> None:
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]}"
    if 400 <= response.status_code < 500:
        assert content_type(response).startswith("application/problem+json"), label
        body = response.json()
        assert body["status"] == response.status_code
        assert body["title"]
        assert probe.snapshot() == before, f"{label}: a refused call changed state"


@pytest.fixture(scope="module")
def intake_service(
    endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, StateProbe]]:
    prefix = f"intake-fuzz-{uuid.uuid4().hex[:6]}"
    group = f"request-{prefix}"  # the intake's Kafka principal may use groups named request-intake*
    port = free_port()
    env = {
        "INTAKE_PORT": str(port),
        "INTAKE_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "INTAKE_REDIS_URL": endpoints.services_redis,
        "INTAKE_REDIS_PREFIX": prefix,
        "INTAKE_CONSUMER_GROUP": group,
        "INTAKE_TOKEN_ISSUER": f"{endpoints.oidc_url}/{oidc.MASKINPORTEN}",
        "INTAKE_SEED_SYSTEMS": "true",
        "INTAKE_VENDOR_POSTS_PER_MINUTE": "0",
        "INTAKE_LOG_LEVEL": "WARNING",
        "SYSACCESS_ENV": "local",
        **endpoints.service_env,
    }
    process = ServiceProcess("request_intake", port, env, tmp_path_factory.mktemp("fuzz") / "intake.log")
    process.start()
    try:
        process.wait_healthy()
        probe = StateProbe(endpoints.redis_url, prefix)
        probe.wait_quiet()
        yield process.url, probe
    finally:
        process.stop()


def fuzz(schema_url: str, path_prefix: str, call: Callable[[Any], Any], probe: StateProbe) -> int:
    """Run generated cases against every operation under ``path_prefix``; return how many ran."""
    schema = schemathesis.openapi.from_url(schema_url)
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if not operation.path.startswith(path_prefix):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            nonlocal ran
            before = probe.snapshot()
            check(call(case), before, probe, f"{case.method} {case.formatted_path}")
            ran += 1

        run()
    return ran


def test_intake_api_never_fails_and_refuses_cleanly(
    intake_service: tuple[str, StateProbe], token_for: TokenFactory
) -> None:
    url, probe = intake_service
    token = token_for()
    ran = fuzz(
        f"{url}/openapi.json",
        "/authentication/",
        lambda case: case.call(base_url=url, headers={"Authorization": f"Bearer {token}"}),
        probe,
    )
    assert ran >= 2000


@pytest.fixture(scope="module")
def portal_service(
    endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, StateProbe, dict[str, str]]]:
    prefix = f"approval-fuzz-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = {
        "APPROVAL_PORT": str(port),
        "APPROVAL_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "APPROVAL_REDIS_URL": endpoints.services_redis,
        "APPROVAL_REDIS_PREFIX": prefix,
        "APPROVAL_CONSUMER_GROUP": prefix,
        "APPROVAL_OIDC_ISSUER": f"{endpoints.oidc_url}/{oidc.IDPORTEN}",
        # One loopback address and a handful of people drive every flow here; the limits
        # themselves are proven in their own tests.
        "APPROVAL_LOGINS_PER_MINUTE": "0",
        "APPROVAL_DECISIONS_PER_MINUTE": "0",
        # Nearly every generated id is unknown; each would wait for its request to arrive.
        "APPROVAL_NEW_REQUEST_WAIT_SECONDS": "0.05",
        "APPROVAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "APPROVAL_LOG_LEVEL": "WARNING",
        **application_env(tmp_path_factory.mktemp("secrets")),
        **endpoints.service_env,
    }
    process = ServiceProcess("approval", port, env, tmp_path_factory.mktemp("fuzz") / "approval.log")
    process.start()
    try:
        process.wait_healthy()
        auth = asyncio.run(_logged_in(process.url))
        probe = StateProbe(endpoints.redis_url, prefix)
        probe.wait_quiet()
        yield process.url, probe, auth
    finally:
        process.stop()


async def _logged_in(portal: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=portal) as client:
        token = await portal_login(client, "12887010186")
        return {"X-CSRF-Token": token, "Cookie": f"sysaccess_session={client.cookies['sysaccess_session']}"}


def test_portal_bff_never_fails_and_refuses_cleanly(
    portal_service: tuple[str, StateProbe, dict[str, str]],
) -> None:
    url, probe, auth = portal_service
    ran = fuzz(
        f"{url}/openapi.json", "/accessmanagement/", lambda case: case.call(base_url=url, headers=auth), probe
    )
    assert ran >= 2000

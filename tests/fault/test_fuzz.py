"""Hostile input, generated from each API's own OpenAPI document by schemathesis's `st run`.

As a vendor trying the API would: the real command line with all of its checks (one stated
exclusion), so the documents must tell the truth: no 5xx, answers that match their declared
status codes, media types, headers and schemas, 405 with `Allow`, refusal of input the
schema forbids, and acceptance of input it allows unless a business rule says no.
fuzz_hooks.py adds credentials and the project's own checks: every 4xx is problem+json, and
a refused call writes nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from shared import events as ev
from sysaccess import oidc
from sysaccess.credentials import application_env
from sysaccess.infra import PROJECT_ROOT as ROOT
from sysaccess.infra import free_port
from sysaccess.processes import ServiceProcess
from sysaccess.vendor_tokens import ALL_SCOPES, VendorTokens
from tests.conftest import SMARTCLOUD, SMARTCLOUD_SYSTEM
from tests.fault.state_probe import StateProbe
from tests.integration.test_intake_api import standard_request
from tests.support.infra import Endpoints
from tests.support.kafka import publish

# The full run (60 examples per operation) takes about two minutes for both APIs here; the
# limit leaves room for a loaded machine.
pytestmark = pytest.mark.timeout(1800)

# Examples per operation and phase in `make test`: enough to hit every route and every declared
# constraint on each run while keeping this tier to minutes. The full run is
# `SYSACCESS_FUZZ_EXAMPLES=60 SYSACCESS_FUZZ_SEED=777 pytest tests/fault/test_fuzz.py` (README).
EXAMPLES_PER_OPERATION = int(os.environ.get("SYSACCESS_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("SYSACCESS_FUZZ_SEED", "777"))

# Every check of `st run --checks all` runs, except these, each for a stated reason.
EXCLUDED_CHECKS = {
    # Altinn answers a well-formed request that breaks a business rule with 400 and its own code
    # (rights not in the system, a redirect URL not registered, an id already taken...), and a
    # vendor integration keys on those codes. No JSON schema can state such rules, so this
    # check would fail on them; fuzz_hooks.schema_valid_input_is_not_refused_as_invalid takes
    # its place: a schema-valid input may be refused only with a listed business-rule code and
    # never by request validation, which is what "the OpenAPI document tells the truth" means.
    "positive_data_acceptance",
}
# Notes on the checks that do run:
# - ignored_auth: the vendor API declares its bearer token (security scheme maskinporten), so
#   schemathesis also calls without it and expects 401. The portal BFF's session cookie and CSRF
#   header are not an OpenAPI security scheme, so the check has nothing to try there; the hooks
#   log in afresh every few seconds, since generated POST .../logout calls end the session
#   (a 401 in between is documented).
# - The stateful phase is off: the documents declare no links, so it would test nothing. In
#   its place, fuzz_hooks.flatmap_path_parameters puts ids the service holds into half the
#   generated paths (seed_vendor_resources makes one of each kind for the intake).


def st_run(schema_url: str, path_regex: str, env: dict[str, str], report: Path) -> str:
    """``st run`` with all checks against one API; the output, or a failure with it."""
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        schema_url,
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(sorted(EXCLUDED_CHECKS)),
        "--include-path-regex",
        path_regex,
        "--exclude-path-regex",
        "^/(livez|readyz|health)$",  # operators' probes, tested in tests/integration
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--suppress-health-check",
        "all",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    run_env = {**os.environ, **env, "SCHEMATHESIS_HOOKS": "tests.fault.fuzz_hooks", "PYTHONPATH": str(ROOT)}
    # Run where its cache of failures (.schemathesis/) cannot land in the repository.
    done = subprocess.run(
        command, env=run_env, cwd=report.parent, capture_output=True, text=True, timeout=1800
    )
    output = done.stdout + done.stderr
    report.with_suffix(".log").write_text(output)  # kept beside the JUnit report
    assert done.returncode == 0, output[-20000:]
    return output


def operations_tested(report: Path) -> int:
    """How many operations the run tested, from its JUnit report."""
    suite = ElementTree.parse(report).getroot()
    return len(suite.findall(".//testcase"))


def cases_generated(output: str) -> int:
    """How many calls the run made, from its summary ("1179 generated, 1179 passed")."""
    found = re.search(r"(\d+) generated", output)
    assert found, output[-2000:]
    return int(found.group(1))


VENDOR_API = "/authentication/api/v1/systemuser"


def seed_vendor_resources(url: str, endpoints: Endpoints, tokens: VendorTokens) -> None:
    """A pending request, an approved system user and a change request of it, so that the real
    ids the fuzz hooks put into paths (fuzz_hooks.flatmap_path_parameters) include one of each."""
    auth = {"Authorization": f"Bearer {tokens.get(SMARTCLOUD, ALL_SCOPES)}"}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
        for _ in range(2):
            assert client.post(f"{VENDOR_API}/request/vendor", json=standard_request()).status_code == 201
        approved = client.post(f"{VENDOR_API}/request/vendor", json=standard_request()).json()
        created = ev.SystemAccessCreated(
            system_access_id=uuid.UUID(approved["id"]),
            request_id=uuid.UUID(approved["id"]),
            request_type=ev.RequestType.STANDARD,
            system_id=SMARTCLOUD_SYSTEM,
            vendor_org_no=SMARTCLOUD,
            party_org_no=approved["partyOrgNo"],
            external_ref=approved["externalRef"],
            integration_title="SmartCloud",
            rights=tuple(r["resource"][0]["value"] for r in approved["rights"]),
            access_packages=tuple(p["urn"] for p in approved["accessPackages"]),
            approved_by="12887010186",
            approved_at=datetime.now(UTC),
        )
        # The test's event loop is not running in this fixture; the producer gets a loop of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, publish(endpoints.kafka_bootstrap, created)).result()
        lookup = f"{VENDOR_API}/vendor/byquery?system-id={SMARTCLOUD_SYSTEM}"
        lookup += f"&orgno={approved['partyOrgNo']}&external-ref={approved['externalRef']}"
        deadline = time.monotonic() + 60
        while client.get(lookup).status_code != 200:
            assert time.monotonic() < deadline, "the approved system user never reached the intake"
            time.sleep(0.2)
        change = client.post(
            f"{VENDOR_API}/changerequest/vendor",
            params={"correlation-id": str(uuid.uuid4()), "system-user-id": approved["id"]},
            json={
                "requiredRights": [
                    {"resource": [{"id": "urn:altinn:resource", "value": "app_skd_mva-melding"}]}
                ]
            },
        )
        assert change.status_code == 201, change.text


@pytest.fixture(scope="module")
def intake_service(
    endpoints: Endpoints, vendor_tokens: VendorTokens, tmp_path_factory: pytest.TempPathFactory
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
        seed_vendor_resources(process.url, endpoints, vendor_tokens)
        probe = StateProbe(endpoints.redis_url, prefix)
        probe.wait_quiet()
        yield process.url, probe
    finally:
        process.stop()


def test_intake_api_tells_the_truth(
    intake_service: tuple[str, StateProbe], endpoints: Endpoints, tmp_path: Path
) -> None:
    url, probe = intake_service
    report = tmp_path / "intake.xml"
    output = st_run(
        f"{url}/openapi.json",
        "^/",  # the whole vendor API: register, requests, system users, tokens, decisions
        {
            "FUZZ_TARGET": "intake",
            "FUZZ_OIDC_URL": endpoints.oidc_url,
            "FUZZ_REDIS_URL": endpoints.redis_url,
            "FUZZ_PREFIX": probe.prefix,
        },
        report,
    )
    assert operations_tested(report) >= 20  # every operation of the vendor API was tried
    assert cases_generated(output) >= 20 * EXAMPLES_PER_OPERATION


@pytest.fixture(scope="module")
def portal_service(
    endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, StateProbe]]:
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
        probe = StateProbe(endpoints.redis_url, prefix)
        probe.wait_quiet()
        yield process.url, probe
    finally:
        process.stop()


def test_portal_bff_tells_the_truth(
    portal_service: tuple[str, StateProbe], endpoints: Endpoints, tmp_path: Path
) -> None:
    url, probe = portal_service
    report = tmp_path / "portal.xml"
    output = st_run(
        f"{url}/openapi.json",
        "^/accessmanagement/",
        {
            "FUZZ_TARGET": "portal",
            "FUZZ_PORTAL_URL": url,
            "FUZZ_REDIS_URL": endpoints.redis_url,
            "FUZZ_PREFIX": probe.prefix,
        },
        report,
    )
    assert operations_tested(report) >= 15  # every operation of the BFF was tried
    assert cases_generated(output) >= 15 * EXAMPLES_PER_OPERATION

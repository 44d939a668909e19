"""All three services as real processes on the session's Kafka and Redis, and a real Chromium."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from shared.world import load_world
from sysaccess import oidc
from sysaccess.credentials import application_env
from sysaccess.infra import free_port
from sysaccess.portal_login import portal_login
from sysaccess.processes import ServiceProcess, service_processes, smtp_catcher
from sysaccess.vendor_tokens import VendorAuth, VendorTokens
from tests.support.infra import Endpoints

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Stack:
    processes: dict[str, ServiceProcess]
    tokens: VendorTokens
    endpoints: Endpoints
    mail_dir: Path

    @property
    def vendor_token(self) -> str:
        """A current token of SMARTCLOUD AS from the provider (they live 120 s: ask, do not keep)."""
        return self.tokens.get()

    @property
    def other_vendor_token(self) -> str:
        """A current token of FLINK REGNSKAP AS, another vendor."""
        return self.tokens.get("313222225")

    @property
    def intake(self) -> str:
        return self.processes["request_intake"].url

    @property
    def portal(self) -> str:
        return self.processes["approval"].url

    def vendor(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.intake, auth=VendorAuth(self.tokens), timeout=30)


def stack_env(endpoints: Endpoints, secrets_dir: Path) -> dict[str, str]:
    intake, approval, notifier, smtp = free_port(), free_port(), free_port(), free_port()
    return {
        "INTAKE_PORT": str(intake),
        "INTAKE_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "INTAKE_REDIS_URL": endpoints.services_redis,
        "INTAKE_TOKEN_ISSUER": f"{endpoints.oidc_url}/{oidc.MASKINPORTEN}",
        "INTAKE_SEED_SYSTEMS": "true",
        "INTAKE_PORTAL_BASE_URL": f"http://127.0.0.1:{approval}",
        "INTAKE_PUBLIC_BASE_URL": f"http://127.0.0.1:{intake}",
        "INTAKE_ALLOW_LOOPBACK_HTTP_WEBHOOKS": "true",
        "APPROVAL_PORT": str(approval),
        "APPROVAL_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "APPROVAL_REDIS_URL": endpoints.services_redis,
        "APPROVAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{approval}",
        "APPROVAL_OIDC_ISSUER": f"{endpoints.oidc_url}/{oidc.IDPORTEN}",
        # One loopback address and a handful of people drive every flow here; the limits
        # themselves are proven in their own tests.
        "APPROVAL_LOGINS_PER_MINUTE": "0",
        "INTAKE_VENDOR_POSTS_PER_MINUTE": "0",
        "APPROVAL_DECISIONS_PER_MINUTE": "0",
        "APPROVAL_NOTIFIER_URL": f"http://127.0.0.1:{notifier}",
        "APPROVAL_EXPIRY_CHECK_SECONDS": "0.5",
        "NOTIFIER_PORT": str(notifier),
        "NOTIFIER_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "NOTIFIER_REDIS_URL": endpoints.services_redis,
        "NOTIFIER_PORTAL_BASE_URL": f"http://127.0.0.1:{approval}",
        "NOTIFIER_SMTP_PORT": str(smtp),
        "NOTIFIER_ALLOW_LOOPBACK_HTTP_WEBHOOKS": "true",
        "NOTIFIER_FIRST_RETRY_SECONDS": "0.2",
        "NOTIFIER_MAX_ATTEMPTS": "4",
        **application_env(secrets_dir),
        **endpoints.service_env,
    }


@pytest.fixture(scope="session")
def stack(
    endpoints: Endpoints,
    vendor_tokens: VendorTokens,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    env = stack_env(endpoints, tmp_path_factory.mktemp("secrets"))
    logs = tmp_path_factory.mktemp("service-logs")
    mail_dir = tmp_path_factory.mktemp("mail")
    processes = {p.name: p for p in service_processes(env, logs)}
    processes["smtp"] = smtp_catcher(int(env["NOTIFIER_SMTP_PORT"]), mail_dir, logs)
    for process in processes.values():
        process.start()
    try:
        for process in processes.values():
            process.wait_healthy()
        yield Stack(processes, vendor_tokens, endpoints, mail_dir)
    finally:
        for process in processes.values():
            process.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def login(client: httpx.AsyncClient, portal: str, pid: str, return_url: str = "/") -> str:
    """Log a person in through the identity provider's login form; return the CSRF token."""
    assert str(client.base_url).rstrip("/") == portal.rstrip("/")
    return await portal_login(client, pid, return_url)


PIDS = {person.name: person.pid for person in load_world().people}


async def sign_in(page: Page, person: str) -> None:
    """On the provider's login form the browser was sent to, sign in as ``person`` (a name of the cast)."""
    await page.get_by_placeholder("Enter any user/subject").fill(PIDS[person])
    await page.get_by_role("button", name="Sign-in").click()


def standard_body(ref: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "systemId": "314000110_smartcloud",
        "partyOrgNo": "310614289",
        "externalRef": ref,
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
        "redirectUrl": "https://smartcloud.example/receipt",
    }
    body.update(overrides)
    return body


def agent_body(ref: str, party: str = "310614289") -> dict[str, Any]:
    return {
        "systemId": "314000110_smartcloud",
        "partyOrgNo": party,
        "externalRef": ref,
        "accessPackages": [
            {"urn": "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"},
            {"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"},
        ],
    }

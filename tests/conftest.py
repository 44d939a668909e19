from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.request_intake.factory import create_app as create_intake_app
from services.request_intake.settings import IntakeSettings
from sysaccess import oidc
from sysaccess.vendor_tokens import VendorTokens
from tests.support.infra import Endpoints, infrastructure

# The tests are a local setup: services built in-process may generate their missing secrets.
os.environ.setdefault("SYSACCESS_ENV", "local")

TIERS = ("unit", "contract", "integration", "e2e", "fault")

SMARTCLOUD = "314000110"
SMARTCLOUD_SYSTEM = "314000110_smartcloud"
TIGER = "310614289"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    with infrastructure() as found:
        yield found


@pytest.fixture(scope="session")
def vendor_tokens(endpoints: Endpoints) -> VendorTokens:
    """Vendor tokens from the provider's Maskinporten issuer, renewed before they expire."""
    return VendorTokens(endpoints.oidc_url)


TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def token_for(vendor_tokens: VendorTokens) -> TokenFactory:
    """A current provider token for a vendor (they live 120 s: call again rather than keep one)."""

    def make(org_no: str = SMARTCLOUD, scopes: list[str] | None = None) -> str:
        return vendor_tokens.get(org_no, scopes)

    return make


@dataclass
class RunningIntake:
    app: FastAPI
    client: httpx.AsyncClient
    settings: IntakeSettings

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def intake_settings(endpoints: Endpoints, **overrides: object) -> IntakeSettings:
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "kafka_bootstrap": endpoints.kafka_bootstrap,
        "redis_url": endpoints.services_redis,
        "redis_prefix": f"intake-{suffix}",
        "consumer_group": f"request-intake-{suffix}",
        **endpoints.service_settings("request-intake"),
        "token_issuer": f"{endpoints.oidc_url}/{oidc.MASKINPORTEN}",
        "seed_systems": True,
        "json_logs": False,
        "log_level": "WARNING",
        **overrides,
    }
    return IntakeSettings(**values)  # type: ignore[arg-type]


async def _running_intake(settings: IntakeSettings) -> AsyncIterator[RunningIntake]:
    app = create_intake_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
            yield RunningIntake(app, client, settings)


@pytest.fixture(scope="module")
async def intake(endpoints: Endpoints) -> AsyncIterator[RunningIntake]:
    async for running in _running_intake(intake_settings(endpoints, page_size=3)):
        yield running

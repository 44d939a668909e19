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
from shared.devkeys import ensure_dev_keys, mint_token
from sysaccess.cli import ALL_SCOPES
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
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    private, jwks = ensure_dev_keys(tmp_path_factory.mktemp("dev-keys"))
    return private.read_bytes(), jwks


TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def token_for(dev_keys: tuple[bytes, Path]) -> TokenFactory:
    def make(org_no: str = SMARTCLOUD, scopes: list[str] | None = None, **kwargs: object) -> str:
        return mint_token(dev_keys[0], org_no=org_no, scopes=scopes or ALL_SCOPES, **kwargs)  # type: ignore[arg-type]

    return make


@dataclass
class RunningIntake:
    app: FastAPI
    client: httpx.AsyncClient
    settings: IntakeSettings

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def intake_settings(endpoints: Endpoints, jwks: Path, **overrides: object) -> IntakeSettings:
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "kafka_bootstrap": endpoints.kafka_bootstrap,
        "redis_url": endpoints.redis_url,
        "redis_prefix": f"intake-{suffix}",
        "consumer_group": f"intake-{suffix}",
        "jwks_file": jwks,
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
async def intake(endpoints: Endpoints, dev_keys: tuple[bytes, Path]) -> AsyncIterator[RunningIntake]:
    async for running in _running_intake(intake_settings(endpoints, dev_keys[1], page_size=3)):
        yield running

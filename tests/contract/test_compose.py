"""docker-compose.yml cannot be started here; check everything that can be checked about it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.approval.settings import ApprovalSettings
from services.notifier.settings import NotifierSettings
from services.request_intake.settings import IntakeSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]

APPS: dict[str, tuple[str, type[BaseSettings]]] = {
    "request_intake": ("INTAKE_", IntakeSettings),
    "approval": ("APPROVAL_", ApprovalSettings),
    "notifier": ("NOTIFIER_", NotifierSettings),
}
REQUIRED = ("host", "port", "kafka_bootstrap", "redis_url")


def env_of(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()}


def kafka_listener() -> tuple[str, int]:
    advertised = env_of("kafka")["KAFKA_ADVERTISED_LISTENERS"]
    plain = next(part for part in advertised.split(",") if part.startswith("PLAINTEXT://"))
    address = urlsplit(plain.replace("PLAINTEXT://", "kafka://"))
    return address.hostname or "", address.port or 0


def test_infrastructure_services() -> None:
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:4.")
    assert "broker,controller" in env_of("kafka")["KAFKA_PROCESS_ROLES"]
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert "--appendonly" in SERVICES["redis"]["command"]
    assert any(str(v).endswith(":/data") for v in SERVICES["redis"]["volumes"])
    for name in ("kafka", "redis", "mailpit"):
        assert "healthcheck" in SERVICES[name], name


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_setting_is_provided_and_real(service: str) -> None:
    prefix, settings_cls = APPS[service]
    env = env_of(service)
    fields = {f"{prefix}{name.upper()}" for name in settings_cls.model_fields}
    unknown = sorted(set(env) - fields)
    assert unknown == [], f"variables no setting reads: {unknown}"
    missing = sorted(f"{prefix}{name.upper()}" for name in REQUIRED if f"{prefix}{name.upper()}" not in env)
    assert missing == []
    assert env[f"{prefix}HOST"] == "0.0.0.0"


@pytest.mark.parametrize("service", sorted(APPS))
def test_hosts_and_ports_match(service: str) -> None:
    prefix, _ = APPS[service]
    env = env_of(service)
    host, port = kafka_listener()
    assert env[f"{prefix}KAFKA_BOOTSTRAP"] == f"{host}:{port}"
    assert host in SERVICES
    redis = urlsplit(env[f"{prefix}REDIS_URL"])
    assert redis.hostname in SERVICES
    assert redis.port == 6379
    own_port = env[f"{prefix}PORT"]
    assert f"{own_port}:{own_port}" in SERVICES[service]["ports"]
    assert f":{own_port}/health" in " ".join(SERVICES[service]["healthcheck"]["test"])
    depends = SERVICES[service]["depends_on"]
    for dependency in ("kafka", "redis"):
        assert depends[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", sorted(APPS))
def test_command_runs_an_existing_module(service: str) -> None:
    command = SERVICES[service]["command"]
    assert command[:2] == ["python", "-m"]
    module = importlib.import_module(f"{command[2]}.__main__")
    assert callable(module.main)


def test_notifier_reaches_the_smtp_catcher() -> None:
    env = env_of("notifier")
    assert env["NOTIFIER_SMTP_HOST"] in SERVICES
    assert SERVICES[env["NOTIFIER_SMTP_HOST"]]["image"].startswith("axllent/mailpit")
    assert env["NOTIFIER_SMTP_PORT"] == "1025"


def test_intake_reads_the_keys_the_key_service_writes() -> None:
    env = env_of("request_intake")
    keys_mount = next(v for v in SERVICES["request_intake"]["volumes"] if v.startswith("dev-keys:"))
    assert env["INTAKE_JWKS_FILE"].startswith(keys_mount.split(":")[1])
    assert "/keys" in SERVICES["dev-keys"]["command"]
    assert (
        SERVICES["request_intake"]["depends_on"]["dev-keys"]["condition"] == "service_completed_successfully"
    )


def test_dockerfile_installs_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    for folder in ("shared", "services", "sysaccess"):
        assert f"COPY {folder} ./{folder}" in dockerfile

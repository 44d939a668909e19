"""docker-compose.yml cannot be started here; check everything that can be checked about it."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.approval.settings import ApprovalSettings
from services.notifier.settings import NotifierSettings
from services.request_intake.settings import IntakeSettings
from sysaccess.compose import ENV_SECRETS, generated_files, redis_command

pytestmark = pytest.mark.contract
ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APPS: dict[str, tuple[str, type[BaseSettings]]] = {
    "request_intake": ("INTAKE_", IntakeSettings),
    "approval": ("APPROVAL_", ApprovalSettings),
    "notifier": ("NOTIFIER_", NotifierSettings),
}
REQUIRED = (
    "host",
    "port",
    "kafka_bootstrap",
    "redis_url",
    "kafka_username",
    "kafka_password",
    "redis_username",
    "redis_password",
    "internal_token",
    "ops_port",
)
SECRET_SETTINGS = {
    "kafka_password",
    "redis_password",
    "internal_token",
    "notifier_token",
    "oidc_client_secret",
    "cookie_secret",
    "webhook_seal_keys",
}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(:\?[^}]*)?\}")


def env_of(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()}


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
    assert sorted(set(env) - fields) == [], "variables no setting reads"
    assert sorted(f"{prefix}{n.upper()}" for n in REQUIRED if f"{prefix}{n.upper()}" not in env) == []
    assert env[f"{prefix}HOST"] == "0.0.0.0"


def test_there_is_no_development_login_and_the_provider_is_a_service() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "DEV_LOGIN" not in text
    assert "dev-keys" not in text
    assert SERVICES["oidc"]["build"]["dockerfile"] == "infra/oidc/Dockerfile"
    assert env_of("approval")["APPROVAL_OIDC_ISSUER"].startswith("http://oidc:8080/")
    assert env_of("request_intake")["INTAKE_TOKEN_JWKS_URL"].startswith("http://oidc:8080/")


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_secret_comes_from_the_env_file(service: str) -> None:
    prefix, _ = APPS[service]
    for name, value in env_of(service).items():
        setting = name.removeprefix(prefix).lower()
        if setting in SECRET_SETTINGS or "SECRET" in name or "PASSWORD" in name or "TOKEN" in name:
            if setting.startswith("token_"):
                continue  # the token issuer's URLs, not secrets
            found = VARIABLE.fullmatch(value)
            assert found, f"{name} is not taken from .env: {value!r}"
            assert found.group(1) in ENV_SECRETS


def test_every_variable_is_in_the_example_and_has_no_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(VARIABLE.findall(text))
    assert {name for name, _ in used} <= set(ENV_SECRETS)
    assert not re.search(r"\$\{[A-Z0-9_]+:-", text), "a variable with a default"
    example = (ROOT / ".env.example").read_text()
    assert all(f"{name}=\n" in example for name in ENV_SECRETS)


def test_nothing_internal_is_published() -> None:
    assert "ports" not in SERVICES["notifier"]
    assert "ports" not in SERVICES["redis"]
    assert SERVICES["kafka"]["ports"] == ["127.0.0.1:9094:9094"]
    assert all(p.startswith("127.0.0.1:") for p in SERVICES["mailpit"]["ports"])
    assert SERVICES["request_intake"]["ports"] == ["8001:8001"]
    assert SERVICES["approval"]["ports"] == ["8002:8002"]


def test_development_only_services_are_in_the_dev_profile() -> None:
    for name in ("oidc", "mailpit"):
        assert SERVICES[name]["profiles"] == ["dev"]
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        assert not set(depends) & {"oidc", "mailpit"}, f"{name} cannot start without the dev profile"


def test_kafka_and_redis_authenticate_every_client() -> None:
    kafka = env_of("kafka")
    assert "PLAINTEXT" not in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].replace("SASL_PLAINTEXT", "")
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert SERVICES["redis"]["command"] == redis_command()
    assert SERVICES["redis"]["command"][5:8] == ["--user", "default", "off"]
    for service, (prefix, _) in APPS.items():
        env = env_of(service)
        assert env[f"{prefix}KAFKA_USERNAME"] in ("request-intake", "approval", "notifier")
        assert env[f"{prefix}REDIS_USERNAME"] == env[f"{prefix}KAFKA_USERNAME"]
        assert SERVICES[service]["depends_on"]["kafka-setup"]["condition"] == "service_completed_successfully"


def test_generated_files_match_the_tables() -> None:
    for path, text in generated_files().items():
        assert path.read_text() == text, f"{path} is stale: run `sysaccess compose files`"


def test_deployable_defaults_restart_memory_logs_exact_images() -> None:
    for name, service in SERVICES.items():
        assert service.get("logging", {}).get("options", {}).get("max-size"), name
        if name != "kafka-setup":
            assert service.get("restart") == "unless-stopped", name
        image = service.get("image")
        if image:
            assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+\.\d+(-\w+)?", image), f"{name}: {image} is not exact"
    for name in ("kafka", "redis", "oidc", *APPS):
        assert SERVICES[name]["deploy"]["resources"]["limits"]["memory"], name


@pytest.mark.parametrize("service", sorted(APPS))
def test_hosts_ports_and_health(service: str) -> None:
    prefix, _ = APPS[service]
    env = env_of(service)
    assert urlsplit(f"kafka://{env[f'{prefix}KAFKA_BOOTSTRAP']}").hostname == "kafka"
    assert env[f"{prefix}KAFKA_BOOTSTRAP"] == "kafka:9092"
    redis = urlsplit(env[f"{prefix}REDIS_URL"])
    assert (redis.hostname, redis.port, redis.username) == ("redis", 6379, None)
    own_port = env[f"{prefix}PORT"]
    assert f":{own_port}/readyz" in " ".join(SERVICES[service]["healthcheck"]["test"])


@pytest.mark.parametrize("service", sorted(APPS))
def test_command_runs_an_existing_module(service: str) -> None:
    command = SERVICES[service]["command"]
    assert command[:2] == ["python", "-m"]
    module = importlib.import_module(f"{command[2]}.__main__")
    assert callable(module.main)


def test_dockerfile_installs_runtime_dependencies_before_the_sources() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 2, "a dependency stage and a runtime stage"
    lock_install = dockerfile.index("-c requirements.lock")
    for folder in ("shared", "services", "sysaccess"):
        assert dockerfile.index(f"COPY {folder} ./{folder}") > lock_install
    assert "USER sysaccess" in dockerfile
    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for tool in ("matplotlib", "psutil", "aiosmtpd", "pytest", "playwright"):
        assert not any(dep.startswith(tool) for dep in runtime), f"{tool} is not a runtime dependency"

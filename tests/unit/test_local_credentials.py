"""Generated local credentials: random, private, stable across starts, never defaulted; and the
Redis ACL lines and Kafka settings built from them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from shared import topics
from sysaccess import credentials, infra, redis_acl


def test_generated_once_private_and_stable(tmp_path: Path) -> None:
    first = credentials.ensure_secrets(tmp_path)
    assert stat.S_IMODE(credentials.secrets_path(tmp_path).stat().st_mode) == 0o600
    assert credentials.ensure_secrets(tmp_path) == first
    everything = [pw for kind in first.values() for pw in kind.values()]
    assert len(set(everything)) == len(everything) == 2 * len(credentials.PRINCIPALS)
    assert set(first["kafka"]) == {"admin", "request-intake", "approval", "notifier"}


def test_a_readable_file_is_refused(tmp_path: Path) -> None:
    credentials.ensure_secrets(tmp_path)
    credentials.secrets_path(tmp_path).chmod(0o644)
    with pytest.raises(credentials.CredentialsError, match="readable by others"):
        credentials.ensure_secrets(tmp_path)


def test_an_incomplete_file_is_refused(tmp_path: Path) -> None:
    path = credentials.secrets_path(tmp_path)
    path.write_text(json.dumps({"version": 1, "kafka": {"admin": "x" * 40}}))
    path.chmod(0o600)
    with pytest.raises(credentials.CredentialsError, match="incomplete"):
        credentials.ensure_secrets(tmp_path)


def test_service_env_names(tmp_path: Path) -> None:
    env = credentials.service_env(tmp_path)
    assert env["INTAKE_KAFKA_USERNAME"] == "request-intake"
    assert env["APPROVAL_REDIS_USERNAME"] == "approval"
    assert env["NOTIFIER_KAFKA_PASSWORD"] == credentials.credentials(tmp_path, "notifier").kafka_password


def test_redis_acl_lines() -> None:
    passwords = {name: f"{name}-password-{'x' * 32}" for name in credentials.PRINCIPALS}
    text = redis_acl.acl_file(passwords)
    lines = text.splitlines()
    assert lines[0].startswith("user default off")
    intake = next(line for line in lines if line.startswith("user request-intake "))
    assert "~intake:*" in intake
    assert "~approval" not in intake
    assert "-@dangerous" in intake
    for password in passwords.values():
        assert password not in text


def test_secure_kafka_properties(tmp_path: Path) -> None:
    plain = infra.kafka_properties(infra.InfraLayout(tmp_path))
    assert "PLAINTEXT://127.0.0.1:19092" in plain
    assert "sasl" not in plain
    layout = infra.InfraLayout(tmp_path, secure=True)
    secure = infra.kafka_properties(layout)
    assert "PLAINTEXT://" not in secure.replace("SASL_PLAINTEXT", "")
    assert "listeners=CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093" in secure
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in secure
    assert "allow.everyone.if.no.acl.found=false" in secure
    assert layout.credentials("admin").kafka_password in secure
    assert layout.credentials(topics.APPROVAL).kafka_password not in secure

"""Generated credentials of a local setup: one Kafka principal and one Redis user per service,
plus ``admin`` for tools, the broker itself and the test harness.

The passwords are random (32 bytes, URL-safe base64), written once into ``secrets.json`` in
the layout's data folder with mode 0600, and reused on every later start (the broker keeps its
SCRAM credentials from the day its storage was formatted). They are never committed: the
data folders are under ``var/``. There are no defaults: a missing file is generated, an
unreadable or incomplete one is an error.

``secrets.json``::

    {
      "version": 1,
      "kafka": {"admin": "...", "request-intake": "...", "approval": "...", "notifier": "..."},
      "redis": {"admin": "...", "request-intake": "...", "approval": "...", "notifier": "..."}
    }

The Kafka username and the Redis username of a service are its name (``request-intake``,
``approval``, ``notifier``; see ``shared.topics.SERVICES``).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from shared.topics import APPROVAL, NOTIFIER, REQUEST_INTAKE, SERVICES

ADMIN = "admin"
PRINCIPALS: tuple[str, ...] = (ADMIN, *SERVICES)
SECRETS_FILE = "secrets.json"
KINDS = ("kafka", "redis")

# The environment prefix of each service's settings.
ENV_PREFIX = {REQUEST_INTAKE: "INTAKE_", APPROVAL: "APPROVAL_", NOTIFIER: "NOTIFIER_"}


class CredentialsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Credentials:
    """What one service (or ``admin``) uses to log in to Kafka and Redis."""

    name: str
    kafka_username: str
    kafka_password: str
    redis_username: str
    redis_password: str


def secrets_path(data_dir: Path) -> Path:
    return data_dir / SECRETS_FILE


def _generate() -> dict[str, object]:
    return {
        "version": 1,
        **{kind: {name: secrets.token_urlsafe(32) for name in PRINCIPALS} for kind in KINDS},
    }


def ensure_secrets(data_dir: Path) -> dict[str, dict[str, str]]:
    """Read the setup's passwords, generating the file (mode 0600) on first use."""
    path = secrets_path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        text = json.dumps(_generate(), indent=2) + "\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CredentialsError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        loaded = json.loads(path.read_text())
        found = {kind: {name: str(loaded[kind][name]) for name in PRINCIPALS} for kind in KINDS}
    except (KeyError, TypeError, ValueError) as exc:
        raise CredentialsError(f"{path} is incomplete ({exc!r}); delete it and the data it protects") from exc
    for kind, passwords in found.items():
        for name, password in passwords.items():
            if len(password) < 32:
                raise CredentialsError(f"{path}: the {kind} password of {name} is too short")
    return found


def credentials(data_dir: Path, name: str) -> Credentials:
    """The credentials of service ``name`` (or ``admin``) in the setup under ``data_dir``."""
    if name not in PRINCIPALS:
        raise CredentialsError(f"unknown principal {name!r}; known: {', '.join(PRINCIPALS)}")
    found = ensure_secrets(data_dir)
    return Credentials(name, name, found["kafka"][name], name, found["redis"][name])


def service_env(data_dir: Path) -> dict[str, str]:
    """Environment variables carrying each service's credentials, e.g. ``APPROVAL_KAFKA_USERNAME``.

    The names are a proposal for the services' settings (``kafka_username``,
    ``kafka_password``, ``redis_username``, ``redis_password``).
    """
    env: dict[str, str] = {}
    for service, prefix in ENV_PREFIX.items():
        found = credentials(data_dir, service)
        env |= {
            f"{prefix}KAFKA_USERNAME": found.kafka_username,
            f"{prefix}KAFKA_PASSWORD": found.kafka_password,
            f"{prefix}REDIS_USERNAME": found.redis_username,
            f"{prefix}REDIS_PASSWORD": found.redis_password,
        }
    return env


APP_SECRETS_FILE = "app-secrets.json"
# The services' own secrets in a local setup: tokens between services and signing keys.
APP_SECRETS = (
    "intake_internal_token",
    "approval_internal_token",
    "notifier_internal_token",
    "portal_cookie",
    "portal_oidc_client",
    "webhook_seal_key",
    "intake_systemuser_signing_key",
)


def _private_json(path: Path, generate: dict[str, str]) -> dict[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(generate, indent=2) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CredentialsError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    loaded = json.loads(path.read_text())
    return {str(k): str(v) for k, v in loaded.items()}


def application_env(data_dir: Path) -> dict[str, str]:
    """The services' own secrets for a local setup, generated once under ``data_dir`` (mode 0600)."""
    found = _private_json(
        data_dir / APP_SECRETS_FILE, {name: secrets.token_urlsafe(32) for name in APP_SECRETS}
    )
    missing = [name for name in APP_SECRETS if len(found.get(name, "")) < 32]
    if missing:
        found |= {name: secrets.token_urlsafe(32) for name in missing}
        (data_dir / APP_SECRETS_FILE).write_text(json.dumps(found, indent=2) + "\n")
    return {
        "SYSACCESS_ENV": "local",
        "INTAKE_INTERNAL_TOKEN": found["intake_internal_token"],
        "APPROVAL_INTERNAL_TOKEN": found["approval_internal_token"],
        "NOTIFIER_INTERNAL_TOKEN": found["notifier_internal_token"],
        "APPROVAL_NOTIFIER_TOKEN": found["notifier_internal_token"],
        "APPROVAL_COOKIE_SECRET": found["portal_cookie"],
        "APPROVAL_OIDC_CLIENT_SECRET": found["portal_oidc_client"],
        # Intake seals the webhook signing secrets, the notifier opens them: one key, both hold it.
        "INTAKE_WEBHOOK_SEAL_KEYS": found["webhook_seal_key"],
        "NOTIFIER_WEBHOOK_SEAL_KEYS": found["webhook_seal_key"],
        "INTAKE_SYSTEMUSER_SIGNING_KEYS": found["intake_systemuser_signing_key"],
    }

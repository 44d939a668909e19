"""Secrets have no public defaults: a service refuses to start without the secrets it needs.

Only a local setup (``SYSACCESS_ENV=local``: ``make run``, the tests, the chaos and bench
commands) may start without one; it then gets a random value for the life of the process,
and the local runners generate and share real ones under ``var/``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable

import structlog
from pydantic import SecretStr

__all__ = ["MissingSecret", "fill_secrets", "is_local"]

log = structlog.get_logger(__name__)
LOCAL = "local"


class MissingSecret(ValueError):
    """A secret the service needs was not configured."""


def is_local() -> bool:
    return os.environ.get("SYSACCESS_ENV", "").strip().lower() == LOCAL


def fill_secrets(settings: object, names: Iterable[str], env_prefix: str) -> None:
    """Refuse missing secrets, or outside production give them a random value for this process."""
    missing = [name for name in names if not _value(getattr(settings, name))]
    if not missing:
        return
    if not is_local():
        variables = ", ".join(f"{env_prefix}{name.upper()}" for name in missing)
        raise MissingSecret(f"missing secret(s): {variables} (or set SYSACCESS_ENV=local for development)")
    for name in missing:
        log.warning("secret.generated", setting=f"{env_prefix}{name.upper()}")
        setattr(settings, name, SecretStr(secrets.token_urlsafe(32)))


def _value(secret: object) -> str:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else ""

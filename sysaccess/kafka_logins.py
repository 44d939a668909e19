"""The admin login of each local broker this process started or was told about.

Tools and tests read topics, publish probes and replay dead letters as ``admin``; the services
never use this (each logs in as itself, from its settings). Keyed by bootstrap address, so a
helper that is given only an address still logs in where the broker demands it.
"""

from __future__ import annotations

import os
from typing import Any

from shared.kafka import KafkaCredentials

__all__ = ["admin_login", "admin_options", "remember_admin", "remember_from_environment"]

_ADMINS: dict[str, KafkaCredentials] = {}


def remember_admin(bootstrap: str, credentials: KafkaCredentials) -> None:
    _ADMINS[bootstrap] = credentials


def remember_from_environment(bootstrap: str) -> None:
    """A tool's login from ``SYSACCESS_KAFKA_USERNAME``/``_PASSWORD`` (and ``_MECHANISM``: PLAIN
    on compose's ops listener, SCRAM-SHA-512 locally), else the admin of a local setup whose
    broker is at ``bootstrap`` (its secrets file)."""
    username, password = (
        os.environ.get("SYSACCESS_KAFKA_USERNAME"),
        os.environ.get("SYSACCESS_KAFKA_PASSWORD"),
    )
    if username and password:
        mechanism = os.environ.get("SYSACCESS_KAFKA_MECHANISM", "SCRAM-SHA-512")
        remember_admin(bootstrap, KafkaCredentials(username, password, mechanism=mechanism))
        return
    from sysaccess.profiles import DEV, TEST

    for profile in (DEV, TEST):
        layout = profile.infra
        if layout.secure and layout.kafka_bootstrap == bootstrap and layout.secrets_file.exists():
            from sysaccess.infra import admin_kafka_credentials

            remember_admin(bootstrap, admin_kafka_credentials(layout))


def admin_login(bootstrap: str) -> KafkaCredentials | None:
    return _ADMINS.get(bootstrap)


def admin_options(bootstrap: str) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client of ``bootstrap``: the admin login, if it needs one."""
    found = _ADMINS.get(bootstrap)
    return found.client_options() if found is not None else {}

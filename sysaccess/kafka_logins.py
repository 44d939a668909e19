"""The admin login of each local broker this process started or was told about.

Tools and tests read topics, publish probes and replay dead letters as ``admin``; the services
never use this (each logs in as itself, from its settings). Keyed by bootstrap address, so a
helper that is given only an address still logs in where the broker demands it.
"""

from __future__ import annotations

from typing import Any

from shared.kafka import KafkaCredentials

__all__ = ["admin_options", "remember_admin"]

_ADMINS: dict[str, KafkaCredentials] = {}


def remember_admin(bootstrap: str, credentials: KafkaCredentials) -> None:
    _ADMINS[bootstrap] = credentials


def admin_login(bootstrap: str) -> KafkaCredentials | None:
    return _ADMINS.get(bootstrap)


def admin_options(bootstrap: str) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client of ``bootstrap``: the admin login, if it needs one."""
    found = _ADMINS.get(bootstrap)
    return found.client_options() if found is not None else {}

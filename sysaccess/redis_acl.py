"""Redis ACL users: one per service, confined to its own key prefix, plus ``admin`` for tools.

A service user may run every command except the ``@dangerous`` and ``@admin`` ones
(FLUSHALL, FLUSHDB, KEYS, CONFIG, DEBUG, SHUTDOWN, MONITOR, CLIENT KILL, INFO, ...), on keys
under its prefix only: ``<prefix>:*``, and ``<prefix>-*:*`` so that a test may use a
prefix of its own such as ``intake-1a2b3c``. That covers its state, its transactional outbox
(a stream read through a consumer group), its Lua scripts (EVALSHA checks the keys a script
touches against the same patterns), WATCH/MULTI/EXEC and PING. Pub/sub channels follow the
same patterns (no service uses pub/sub today). The ``default`` user is switched off: nobody can
authenticate as it, and a connection that has not authenticated can do nothing. Its command and
key rules are left open on purpose: Redis 7.0 replays the append-only file at start-up as the
``default`` user and checks each replayed command (and each EXEC) against that user's rules, so
with ``-@all`` on it a restarted Redis silently dropped every write of the AOF (redis/redis
issue 14541, fixed upstream by skipping the check while loading).

The prefixes are the services' ``redis_prefix`` defaults (services/*/settings.py).
"""

from __future__ import annotations

import hashlib

from shared.topics import APPROVAL, NOTIFIER, REQUEST_INTAKE
from sysaccess.credentials import ADMIN

KEY_PREFIXES = {REQUEST_INTAKE: "intake", APPROVAL: "approval", NOTIFIER: "notifier"}
SERVICE_COMMANDS = "+@all -@dangerous -@admin"


def _hash(password: str) -> str:
    return "#" + hashlib.sha256(password.encode()).hexdigest()


def user_rule(name: str, password: str) -> str:
    """One line of an ACL file; the password is stored only as its SHA-256."""
    if name == ADMIN:
        return f"user {ADMIN} on {_hash(password)} ~* &* +@all"
    prefix = KEY_PREFIXES[name]
    keys = f"~{prefix}:* ~{prefix}-*:*"
    channels = f"resetchannels &{prefix}:* &{prefix}-*:*"
    return f"user {name} on {_hash(password)} {keys} {channels} {SERVICE_COMMANDS}"


def acl_file(passwords: dict[str, str]) -> str:
    """The whole ACL file: ``default`` off, then ``admin`` and the services.

    ``default`` is off, so no connection can use it, but keeps every permission: Redis 7.0
    replays the append-only file's MULTI/EXEC blocks as ``default`` and checks its permissions
    at EXEC, so a ``default`` without them silently drops every transaction at restart.
    """
    lines = ["user default off resetpass ~* &* +@all"]
    lines += [user_rule(name, passwords[name]) for name in (ADMIN, *KEY_PREFIXES)]
    return "\n".join(lines) + "\n"

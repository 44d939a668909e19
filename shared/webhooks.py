"""Signed vendor webhooks: per-system secrets and the signature header.

A system's signing secret is derived from a master key held by intake (which shows it to
the vendor once, at registration) and by the notifier (which signs with it), so the secret
never travels over Kafka or sits in Redis.

Signature header: ``X-Sysaccess-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``f"{t}.{body}"``. Receivers check the HMAC with a constant-time compare and refuse old
timestamps; they deduplicate on ``X-Sysaccess-Delivery``, which is equal for every retry.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Sysaccess-Signature"
DELIVERY_HEADER = "X-Sysaccess-Delivery"
EVENT_HEADER = "X-Sysaccess-Event"


def derive_secret(master_key: str, system_id: str) -> str:
    digest = hmac.new(master_key.encode(), f"webhook:v1:{system_id}".encode(), hashlib.sha256).hexdigest()
    return f"whsec_{digest}"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(
    secret: str, body: bytes, header: str, *, tolerance_seconds: int = 300, now: int | None = None
) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        ts = int(parts["t"])
        offered = parts["v1"]
    except (KeyError, ValueError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - ts) > tolerance_seconds:
        return False
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, offered)

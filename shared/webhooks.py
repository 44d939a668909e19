"""Vendor webhooks in the Standard Webhooks format (https://www.standardwebhooks.com), a thin
wrapper over the ``standardwebhooks`` package, so vendors verify with any stock verifier.

Every delivery carries::

    webhook-id: <delivery id, equal for every retry of one delivery: deduplicate on it>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> [v1,<...> ...]

keyed with the system's secret ``whsec_<base64 of 32 random bytes>``. While a rotated-out
secret is still in its grace period, the header carries one signature per valid secret,
separated by spaces, so receivers holding either secret accept the delivery.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook, WebhookVerificationError

__all__ = [
    "ID_HEADER",
    "SECRET_BYTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "new_secret",
    "sealing_context",
    "signed_headers",
    "verify",
]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, as Standard Webhooks spells them."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sealing_context(system_id: str) -> str:
    """What a system's sealed secret is bound to (``shared.sealing``): it opens for no other system."""
    return f"webhook-secret:{system_id}"


def signed_headers(
    signing_secrets: Sequence[str], delivery_id: str, body: str, at: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers; one ``v1,`` signature per secret."""
    if not signing_secrets:
        raise ValueError("a webhook needs at least one signing secret")
    moment = at or datetime.now(UTC)
    signatures = " ".join(
        Webhook(secret).sign(msg_id=delivery_id, timestamp=moment, data=body) for secret in signing_secrets
    )
    return {
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(int(moment.timestamp())),
        SIGNATURE_HEADER: signatures,
    }


def verify(secret: str, body: bytes | str, headers: Mapping[str, str]) -> bool:
    """True when a delivery is signed with ``secret`` and its timestamp is within 5 minutes."""
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except (WebhookVerificationError, ValueError):
        return False
    return True

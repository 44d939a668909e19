"""Send signed webhooks over HTTP (see ``shared.webhooks`` for the signature scheme)."""

from __future__ import annotations

import httpx

from shared.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, derive_secret, sign

from ..domain.deliveries import DeliveryFailed, Webhook

__all__ = ["HttpWebhookSender"]

USER_AGENT = "sysaccess-webhooks/1"


class HttpWebhookSender:
    """POSTs the stored body, signed afresh per attempt; any 2xx answer counts as delivered."""

    def __init__(self, http: httpx.AsyncClient, *, master_key: str, timeout_seconds: float) -> None:
        self._http = http
        self._master_key = master_key
        self._timeout_seconds = timeout_seconds

    async def send(self, delivery_id: str, message: Webhook) -> None:
        body = message.body.encode()
        try:
            response = await self._http.post(
                message.url,
                content=body,
                headers=self._headers(delivery_id, message, body),
                timeout=self._timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"HTTP: {exc!r}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP status {response.status_code}")

    def _headers(self, delivery_id: str, message: Webhook, body: bytes) -> dict[str, str]:
        secret = derive_secret(self._master_key, message.system_id)
        return {
            "Content-Type": "application/json",
            DELIVERY_HEADER: delivery_id,
            EVENT_HEADER: message.event_type,
            SIGNATURE_HEADER: sign(secret, body),
            "User-Agent": USER_AGENT,
        }

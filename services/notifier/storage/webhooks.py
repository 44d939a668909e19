"""Send webhooks over HTTP in the Standard Webhooks format (see ``shared.webhooks``).

Each attempt has one deadline for all of it (resolving, connecting, TLS, sending and the
answer), not a timeout per read, so a receiver that trickles its answer cannot hold an attempt
open; and at most ``max_response_bytes`` of the answer are read, so a huge one costs nothing.
The status decides: any 2xx is delivered. Targets are checked when connecting
(``webhook_transport``) and, by URL, before anything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from shared.webhook_targets import webhook_url_refusal
from shared.webhooks import signed_headers

from ..domain.deliveries import DeliveryFailed, Webhook
from .webhook_transport import TargetRefused

__all__ = ["MAX_RESPONSE_BYTES", "HttpWebhookSender"]

USER_AGENT = "sysaccess-webhooks/2"
MAX_RESPONSE_BYTES = 64 * 1024

SigningSecrets = Callable[[str], Awaitable[list[str]]]
"""system id -> the secrets to sign with now, the current one first."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HttpWebhookSender:
    """POSTs the stored body, signed afresh per attempt with every secret valid now."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        signing_secrets: SigningSecrets,
        *,
        deadline_seconds: float,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        allow_loopback_http: bool = False,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._http = http
        self._signing_secrets = signing_secrets
        self._deadline_seconds = deadline_seconds
        self._max_response_bytes = max_response_bytes
        self._allow_loopback_http = allow_loopback_http
        self._clock = clock

    async def send(self, delivery_id: str, message: Webhook) -> None:
        refusal = webhook_url_refusal(message.url, allow_loopback=self._allow_loopback_http)
        if refusal is not None:
            raise DeliveryFailed(f"refused webhook URL: {refusal}", permanent=True, outcome="refused")
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signed_headers(
                await self._signing_secrets(message.system_id), delivery_id, message.body, self._clock()
            ),
        }
        try:
            async with asyncio.timeout(self._deadline_seconds):
                status = await self._post(message.url, message.body.encode(), headers)
        except TimeoutError as exc:
            raise DeliveryFailed(
                f"no answer within the deadline of {self._deadline_seconds:g}s", outcome="timeout"
            ) from exc
        except TargetRefused as exc:
            raise DeliveryFailed(f"refused webhook target: {exc}", permanent=True, outcome="refused") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"HTTP: {exc!r}", outcome="unreachable") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP status {status}", outcome=f"http_{min(max(status // 100, 1), 5)}xx")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        async with self._http.stream(
            "POST", url, content=body, headers=headers, timeout=self._deadline_seconds
        ) as response:
            # Read a little of the answer (so a short one leaves the connection reusable), and
            # stop at the cap: leaving the block then closes the connection.
            read = 0
            if not response.is_stream_consumed:  # an answer built in memory (tests) is read already
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= self._max_response_bytes:
                        break
            return response.status_code

"""The portal's client of the notifier's inbox API (the inbox belongs to the notifier)."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

log = structlog.get_logger(__name__)


class InboxClient:
    def __init__(self, base_url: str, token: str) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=3.0
        )

    async def items(self, pid: str) -> list[dict[str, Any]] | None:
        """The person's notifications, newest first; None when the notifier cannot be reached."""
        try:
            response = await self._http.get(f"/internal/v1/inbox/{pid}")
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("inbox.unavailable", error=repr(exc))
            return None
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        try:
            response = await self._http.post(f"/internal/v1/inbox/{pid}/{notification_id}/read")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._http.aclose()

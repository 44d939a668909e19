"""Client of the notifier's internal API for a person's notifications (the notifier owns them)."""

from __future__ import annotations

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError

from ..domain.directory import Notification

__all__ = ["NotifierClient"]

log = structlog.get_logger(__name__)

_NOTIFICATIONS = TypeAdapter(list[Notification])


class NotifierClient:
    def __init__(self, base_url: str, token: str) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=3.0
        )

    async def items(self, pid: str) -> list[Notification] | None:
        """The person's notifications, newest first; None when the notifier cannot be reached."""
        try:
            response = await self._http.get(f"/internal/v1/inbox/{pid}")
            response.raise_for_status()
            return _NOTIFICATIONS.validate_python(response.json()["items"])
        except (httpx.HTTPError, ValidationError, KeyError, ValueError) as exc:
            log.warning("notifications.unavailable", error=repr(exc))
            return None

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        try:
            response = await self._http.post(f"/internal/v1/inbox/{pid}/{notification_id}/read")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._http.aclose()

"""The internal HTTP API: a person's portal notifications, for the portal (its "inbox").

Paths and route names (and with them the OpenAPI operation ids) are the published API and
keep their historical "inbox" spelling.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from shared.problems import Problem

from .deps import PortalNotificationsDep, require_internal_caller

__all__ = ["router"]

router = APIRouter(prefix="/internal/v1", tags=["inbox"], dependencies=[require_internal_caller])


@router.get("/inbox/{pid}", name="inbox")
async def list_portal_notifications(pid: str, notifications: PortalNotificationsDep) -> dict[str, Any]:
    listing = await notifications.of_person(pid)
    return {"pid": pid, "unread": listing.unread, "items": [asdict(item) for item in listing.items]}


@router.post("/inbox/{pid}/{notification_id}/read", name="mark_read")
async def mark_portal_notification_read(
    pid: str, notification_id: str, notifications: PortalNotificationsDep
) -> dict[str, bool]:
    if not await notifications.mark_read(pid, notification_id):
        raise Problem(404, "Not Found", "No such notification for this person")
    return {"read": True}

"""Read a person's portal notifications and mark one as read (for the portal, over HTTP)."""

from __future__ import annotations

from ..domain.portal_notifications import PortalNotificationList
from .ports import PortalNotificationStore

__all__ = ["PortalNotifications"]

# The portal shows at most this many, newest first.
LIST_LIMIT = 100


class PortalNotifications:
    """A person's notifications in the portal; a person can read and mark only their own."""

    def __init__(self, store: PortalNotificationStore) -> None:
        self._store = store

    async def of_person(self, pid: str) -> PortalNotificationList:
        return PortalNotificationList(pid, tuple(await self._store.newest_first(pid, LIST_LIMIT)))

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        """Mark the person's notification read; False if they have no notification by that id."""
        notification = await self._store.get(notification_id)
        if notification is None or not notification.belongs_to(pid):
            return False
        await self._store.save(notification.marked_read())
        return True

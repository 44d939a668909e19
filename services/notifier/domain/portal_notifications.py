"""Notifications a person sees in the portal (the portal calls the list its "inbox")."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["PortalNotification", "PortalNotificationList"]


@dataclass(frozen=True, slots=True)
class PortalNotification:
    """One notification shown to one person in the portal, with a link to the request."""

    id: str
    pid: str
    request_id: str
    title: str
    body: str
    link: str
    created: str
    read: bool = False

    def belongs_to(self, pid: str) -> bool:
        return self.pid == pid

    def marked_read(self) -> PortalNotification:
        return replace(self, read=True)


@dataclass(frozen=True, slots=True)
class PortalNotificationList:
    """A person's notifications, newest first."""

    pid: str
    items: tuple[PortalNotification, ...]

    @property
    def unread(self) -> int:
        return sum(1 for item in self.items if not item.read)

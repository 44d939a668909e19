"""Portal notifications in Redis: one JSON string each, and a sorted set of ids per person."""

from __future__ import annotations

import json
from dataclasses import asdict

from redis.asyncio import Redis

from ..domain.portal_notifications import PortalNotification
from .keys import NotifierKeys

__all__ = ["RedisPortalNotifications", "notification_json"]


def notification_json(notification: PortalNotification) -> str:
    return json.dumps(asdict(notification))


def _notification(raw: str | bytes) -> PortalNotification:
    return PortalNotification(**json.loads(raw))


class RedisPortalNotifications:
    """Reads and updates the notifications written by ``RedisNotificationSchedule``."""

    def __init__(self, redis: Redis, keys: NotifierKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def newest_first(self, pid: str, limit: int) -> list[PortalNotification]:
        ids = [str(i) for i in await self._redis.zrevrange(self._keys.notifications_of(pid), 0, limit - 1)]
        raws = await self._redis.mget([self._keys.notification(i) for i in ids]) if ids else []
        return [_notification(raw) for raw in raws if raw]

    async def get(self, notification_id: str) -> PortalNotification | None:
        raw = await self._redis.get(self._keys.notification(notification_id))
        return _notification(raw) if raw is not None else None

    async def save(self, notification: PortalNotification) -> None:
        await self._redis.set(self._keys.notification(notification.id), notification_json(notification))

"""PortalNotifications: a person's list and marking read, over an in-memory store."""

from __future__ import annotations

import pytest

from services.notifier.services.portal_notifications import PortalNotifications

from .fakes import KARI, OLA, InMemoryPortalNotifications, notification

pytestmark = pytest.mark.unit


async def test_lists_a_persons_notifications_newest_first_with_the_unread_count() -> None:
    older, theirs, newer = notification(KARI.pid, read=True), notification(OLA.pid), notification(KARI.pid)
    listing = await PortalNotifications(InMemoryPortalNotifications(older, theirs, newer)).of_person(KARI.pid)
    assert listing.pid == KARI.pid
    assert listing.items == (newer, older)
    assert listing.unread == 1


async def test_marks_the_persons_own_notification_read() -> None:
    mine = notification(KARI.pid)
    store = InMemoryPortalNotifications(mine)
    assert await PortalNotifications(store).mark_read(KARI.pid, mine.id)
    assert store.notifications[mine.id].read


async def test_refuses_someone_elses_notification() -> None:
    mine = notification(KARI.pid)
    store = InMemoryPortalNotifications(mine)
    assert not await PortalNotifications(store).mark_read(OLA.pid, mine.id)
    assert not store.notifications[mine.id].read


async def test_refuses_an_unknown_notification() -> None:
    store = InMemoryPortalNotifications(notification(KARI.pid))
    assert not await PortalNotifications(store).mark_read(KARI.pid, "no-such-id")

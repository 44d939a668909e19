"""Plan what an event causes (e-mails, portal notifications, webhooks) and store it once."""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.world import World

from ..domain.plans import (
    EscalationEvent,
    NotificationPlan,
    OutcomeEvent,
    plan_escalation,
    plan_outcome_webhook,
)
from .ports import NotificationSchedule, SystemCatalog

__all__ = ["PlanNotifications"]


class PlanNotifications:
    """Turns an event into scheduled deliveries and portal notifications, once per event id."""

    def __init__(
        self,
        schedule: NotificationSchedule,
        systems: SystemCatalog,
        world: World,
        portal_base_url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._schedule = schedule
        self._systems = systems
        self._world = world
        self._portal_base_url = portal_base_url
        self._clock = clock

    async def escalation(self, event: EscalationEvent) -> None:
        """Tell the party's access managers, by e-mail and in the portal."""
        system = await self._systems.get(event.system_id)
        names = system.name if system else {}
        plan = plan_escalation(event, self._world, names, self._portal_base_url)
        await self._schedule.schedule(event.event_id, plan, self._clock())

    async def outcome(self, event: OutcomeEvent) -> None:
        """Tell the system's vendor over its webhook, if the system has one."""
        system = await self._systems.get(event.system_id)
        plan = plan_outcome_webhook(event, system.webhook_url) if system else NotificationPlan()
        # Stored even when empty: the event is then known as handled.
        await self._schedule.schedule(event.event_id, plan, self._clock())

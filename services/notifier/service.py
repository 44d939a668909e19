"""The notifier's use cases: turn an event into scheduled deliveries and inbox entries, once."""

from __future__ import annotations

import time

from shared import events as ev
from shared.world import World

from .plans import Plan, plan_escalation, plan_webhook
from .store import NotifierStore


class Notifications:
    def __init__(self, store: NotifierStore, world: World, portal_base_url: str) -> None:
        self.store = store
        self.world = world
        self.portal_base_url = portal_base_url

    async def escalated(self, event: ev.RequestEscalated | ev.EscalationReminderTriggered) -> None:
        system = await self.store.system(event.system_id)
        name = (system or {}).get("name", {}).get("nb") or event.system_id
        await self.store.schedule(
            event.event_id, plan_escalation(event, self.world, name, self.portal_base_url), time.time()
        )

    async def outcome(self, event: ev.Message) -> None:
        system_id = str(getattr(event, "system_id"))  # noqa: B009 (every webhook event carries one)
        system = await self.store.system(system_id)
        plan = plan_webhook(event, system_id, (system or {}).get("webhookUrl")) if system else Plan()
        await self.store.schedule(event.event_id, plan, time.time())

"""The body a vendor's webhook receives: an envelope around the event as published on Kafka."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from shared import events as ev

__all__ = ["WebhookPayload"]


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """``{"deliveryId", "eventType", "occurredAt", "data"}``; ``data`` is the event's own JSON."""

    delivery_id: str
    event_type: str
    occurred_at: datetime
    event: ev.Message

    @classmethod
    def of(cls, event: ev.Message) -> WebhookPayload:
        # The event id doubles as the delivery id, so a receiver sees one id per event however
        # often the notifier retries or re-plans it.
        return cls(str(event.event_id), event.event_type, event.occurred_at, event)

    def to_json(self) -> str:
        """The exact text that is signed and sent (compact separators, ASCII escapes)."""
        return json.dumps(
            {
                "deliveryId": self.delivery_id,
                "eventType": self.event_type,
                "occurredAt": self.occurred_at.isoformat(),
                "data": json.loads(self.event.to_json_bytes()),
            },
            separators=(",", ":"),
        )

"""Topic names and partition keys, in one place.

One topic per message type keeps each consumer's payload typed and each AsyncAPI channel
precise. Every topic is keyed by the request id (or the system access id, which equals it),
so all messages about one request land on one partition in order; the system register is
keyed by system id.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import events as ev


@dataclass(frozen=True)
class Topic:
    name: str
    message: type[ev.Message]
    key_field: str
    partitions: int = 3
    # Names the subscriber function, and with it the AsyncAPI channel; derived from the topic
    # name unless given.
    handler: str | None = None

    @property
    def dead_letter(self) -> str:
        return f"{self.name}.dlq"

    @property
    def handler_name(self) -> str:
        if self.handler is not None:
            return self.handler
        stem = self.name.removeprefix("sysaccess.").rsplit(".", 1)[0]
        return "on_" + stem.replace("-", "_")

    def key_of(self, message: ev.Message) -> bytes:
        value: object = message
        for part in self.key_field.split("."):
            value = getattr(value, part)
        return str(value).encode()


SYSTEM_REGISTERED = Topic("sysaccess.system-registered.v1", ev.SystemRegistered, "system.system_id")
SYSTEM_UPDATED = Topic("sysaccess.system-updated.v1", ev.SystemUpdated, "system.system_id")
SYSTEM_DELETED = Topic("sysaccess.system-deleted.v1", ev.SystemDeleted, "system_id")
ACCESS_REQUESTED = Topic("sysaccess.access-requested.v1", ev.SystemAccessRequested, "request_id")
REQUEST_WITHDRAWN = Topic("sysaccess.request-withdrawn.v1", ev.RequestWithdrawn, "request_id")
DECIDE_REQUEST = Topic("sysaccess.decide-request.v1", ev.DecideRequest, "request_id")
ACCESS_CREATED = Topic("sysaccess.access-created.v1", ev.SystemAccessCreated, "request_id")
REQUEST_REJECTED = Topic("sysaccess.request-rejected.v1", ev.SystemAccessRequestRejected, "request_id")
REQUEST_ESCALATED = Topic("sysaccess.request-escalated.v1", ev.RequestEscalated, "request_id")
REQUEST_TIMED_OUT = Topic("sysaccess.request-timed-out.v1", ev.RequestTimedOut, "request_id")
REMINDER_TRIGGERED = Topic(
    "sysaccess.escalation-reminder-triggered.v1",
    ev.EscalationReminderTriggered,
    "request_id",
    handler="on_reminder_triggered",
)
CLIENT_ADDED = Topic("sysaccess.client-added.v1", ev.ClientAdded, "system_access_id")
CLIENT_REMOVED = Topic("sysaccess.client-removed.v1", ev.ClientRemoved, "system_access_id")
ACCESS_DELETED = Topic("sysaccess.access-deleted.v1", ev.SystemAccessDeleted, "system_access_id")

# Deliveries (e-mail, webhooks) the notifier gave up on after its retries.
NOTIFICATIONS_DEAD_LETTER = "sysaccess.notifications.dlq"

ALL_TOPICS: tuple[Topic, ...] = (
    SYSTEM_REGISTERED,
    SYSTEM_UPDATED,
    SYSTEM_DELETED,
    ACCESS_REQUESTED,
    REQUEST_WITHDRAWN,
    DECIDE_REQUEST,
    ACCESS_CREATED,
    REQUEST_REJECTED,
    REQUEST_ESCALATED,
    REQUEST_TIMED_OUT,
    REMINDER_TRIGGERED,
    CLIENT_ADDED,
    CLIENT_REMOVED,
    ACCESS_DELETED,
)


def topic_for(message: ev.Message) -> Topic:
    for topic in ALL_TOPICS:
        if isinstance(message, topic.message):
            return topic
    raise KeyError(type(message).__name__)

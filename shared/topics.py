"""Topic names and partition keys, in one place.

One topic per message type keeps each consumer's payload typed and each AsyncAPI channel
precise. Every topic is keyed by the request id (or the system access id, which equals it),
so all messages about one request land on one partition in order; the system register is
keyed by system id.

Each topic also names the one service whose events it carries (``producer``) and the services
that consume it (``consumers``). The broker's ACLs are derived from that table: a service may
write only the topics it produces (and the dead-letter topics of the topics it consumes, which
its consumers write), and read only the topics it consumes.
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
    # The service (Kafka principal) whose events the topic carries: the only one that writes it.
    producer: str = ""
    # The services that subscribe to it; each also writes the topic's dead-letter topic.
    consumers: tuple[str, ...] = ()

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


# The services, as Kafka principals and Redis users.
REQUEST_INTAKE = "request-intake"
APPROVAL = "approval"
NOTIFIER = "notifier"
SERVICES: tuple[str, ...] = (REQUEST_INTAKE, APPROVAL, NOTIFIER)

_SYSTEM_READERS = (APPROVAL, NOTIFIER)
_OUTCOME_READERS = (REQUEST_INTAKE, NOTIFIER)

SYSTEM_REGISTERED = Topic(
    "sysaccess.system-registered.v1",
    ev.SystemRegistered,
    "system.system_id",
    producer=REQUEST_INTAKE,
    consumers=_SYSTEM_READERS,
)
SYSTEM_UPDATED = Topic(
    "sysaccess.system-updated.v1",
    ev.SystemUpdated,
    "system.system_id",
    producer=REQUEST_INTAKE,
    consumers=_SYSTEM_READERS,
)
SYSTEM_DELETED = Topic(
    "sysaccess.system-deleted.v1",
    ev.SystemDeleted,
    "system_id",
    producer=REQUEST_INTAKE,
    consumers=_SYSTEM_READERS,
)
# Sealed signing secrets: only the notifier, which signs webhooks, reads them.
WEBHOOK_SECRETS_CHANGED = Topic(
    "sysaccess.webhook-secrets-changed.v1",
    ev.WebhookSecretsChanged,
    "system_id",
    producer=REQUEST_INTAKE,
    consumers=(NOTIFIER,),
)
ACCESS_REQUESTED = Topic(
    "sysaccess.access-requested.v1",
    ev.SystemAccessRequested,
    "request_id",
    producer=REQUEST_INTAKE,
    consumers=(APPROVAL,),
)
REQUEST_WITHDRAWN = Topic(
    "sysaccess.request-withdrawn.v1",
    ev.RequestWithdrawn,
    "request_id",
    producer=REQUEST_INTAKE,
    consumers=(APPROVAL,),
)
# Written by the portal (approval's web side), read by approval's decision worker.
DECIDE_REQUEST = Topic(
    "sysaccess.decide-request.v1",
    ev.DecideRequest,
    "request_id",
    producer=APPROVAL,
    consumers=(APPROVAL,),
)
ACCESS_CREATED = Topic(
    "sysaccess.access-created.v1",
    ev.SystemAccessCreated,
    "request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
REQUEST_REJECTED = Topic(
    "sysaccess.request-rejected.v1",
    ev.SystemAccessRequestRejected,
    "request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
REQUEST_ESCALATED = Topic(
    "sysaccess.request-escalated.v1",
    ev.RequestEscalated,
    "request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
REQUEST_TIMED_OUT = Topic(
    "sysaccess.request-timed-out.v1",
    ev.RequestTimedOut,
    "request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
REMINDER_TRIGGERED = Topic(
    "sysaccess.escalation-reminder-triggered.v1",
    ev.EscalationReminderTriggered,
    "request_id",
    handler="on_reminder_triggered",
    producer=APPROVAL,
    consumers=(NOTIFIER,),
)
CLIENT_ADDED = Topic(
    "sysaccess.client-added.v1",
    ev.ClientAdded,
    "system_access_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
CLIENT_REMOVED = Topic(
    "sysaccess.client-removed.v1",
    ev.ClientRemoved,
    "system_access_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
ACCESS_DELETED = Topic(
    "sysaccess.access-deleted.v1",
    ev.SystemAccessDeleted,
    "system_access_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)

# Change requests: intake announces them, the portal decides them, approval reports the outcome.
CHANGE_REQUESTED = Topic(
    "sysaccess.change-requested.v1",
    ev.SystemAccessChangeRequested,
    "change_request_id",
    producer=REQUEST_INTAKE,
    consumers=(APPROVAL,),
)
CHANGE_REQUEST_WITHDRAWN = Topic(
    "sysaccess.change-request-withdrawn.v1",
    ev.ChangeRequestWithdrawn,
    "change_request_id",
    producer=REQUEST_INTAKE,
    consumers=(APPROVAL,),
)
DECIDE_CHANGE_REQUEST = Topic(
    "sysaccess.decide-change-request.v1",
    ev.DecideChangeRequest,
    "change_request_id",
    producer=APPROVAL,
    consumers=(APPROVAL,),
)
ACCESS_CHANGED = Topic(
    "sysaccess.access-changed.v1",
    ev.SystemAccessChanged,
    "change_request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
CHANGE_REJECTED = Topic(
    "sysaccess.change-rejected.v1",
    ev.SystemAccessChangeRejected,
    "change_request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)
CHANGE_REQUEST_TIMED_OUT = Topic(
    "sysaccess.change-request-timed-out.v1",
    ev.ChangeRequestTimedOut,
    "change_request_id",
    producer=APPROVAL,
    consumers=_OUTCOME_READERS,
)

# Deliveries (e-mail, webhooks) the notifier gave up on after its retries.
NOTIFICATIONS_DEAD_LETTER = "sysaccess.notifications.dlq"
NOTIFICATIONS_DEAD_LETTER_PRODUCER = NOTIFIER

ALL_TOPICS: tuple[Topic, ...] = (
    SYSTEM_REGISTERED,
    SYSTEM_UPDATED,
    SYSTEM_DELETED,
    WEBHOOK_SECRETS_CHANGED,
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
    CHANGE_REQUESTED,
    CHANGE_REQUEST_WITHDRAWN,
    DECIDE_CHANGE_REQUEST,
    ACCESS_CHANGED,
    CHANGE_REJECTED,
    CHANGE_REQUEST_TIMED_OUT,
)


def topic_for(message: ev.Message) -> Topic:
    for topic in ALL_TOPICS:
        if isinstance(message, topic.message):
            return topic
    raise KeyError(type(message).__name__)


def produced_by(service: str) -> tuple[Topic, ...]:
    """The topics whose events ``service`` owns."""
    return tuple(t for t in ALL_TOPICS if t.producer == service)


def consumed_by(service: str) -> tuple[Topic, ...]:
    """The topics ``service`` subscribes to."""
    return tuple(t for t in ALL_TOPICS if service in t.consumers)


def writable_by(service: str) -> tuple[str, ...]:
    """Every topic name ``service`` may write: its own events, the dead letters of what it
    consumes, and (the notifier) the dead letters of deliveries."""
    names = [t.name for t in produced_by(service)]
    names += [t.dead_letter for t in consumed_by(service)]
    if service == NOTIFICATIONS_DEAD_LETTER_PRODUCER:
        names.append(NOTIFICATIONS_DEAD_LETTER)
    return tuple(names)


def readable_by(service: str) -> tuple[str, ...]:
    """Every topic name ``service`` may read."""
    return tuple(t.name for t in consumed_by(service))

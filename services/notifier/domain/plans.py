"""What an event causes: pure functions from an event to delivery jobs and portal notifications."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias
from uuid import UUID

from shared import events as ev
from shared.world import Person, World

from .deliveries import DeliveryJob, Email, Webhook
from .email_texts import email_texts, pick_name
from .portal_notifications import PortalNotification
from .vendor_text import plain_vendor_text
from .webhook_payload import WebhookPayload

__all__ = [
    "EscalationEvent",
    "NotificationPlan",
    "OutcomeEvent",
    "plan_escalation",
    "plan_outcome_webhook",
    "request_link",
    "system_display_name",
]

# Access managers are e-mailed (and notified in the portal) when a request is forwarded to
# them or is about to expire.
EscalationEvent: TypeAlias = ev.RequestEscalated | ev.EscalationReminderTriggered
# The vendor's webhook hears how its requests and accesses ended up.
OutcomeEvent: TypeAlias = (
    ev.SystemAccessCreated
    | ev.SystemAccessRequestRejected
    | ev.RequestTimedOut
    | ev.ClientAdded
    | ev.ClientRemoved
    | ev.SystemAccessDeleted
    | ev.SystemAccessChanged
    | ev.SystemAccessChangeRejected
    | ev.ChangeRequestTimedOut
)


@dataclass(frozen=True, slots=True)
class NotificationPlan:
    """Everything one event causes; stored at once, together with the event's id."""

    jobs: tuple[DeliveryJob, ...] = ()
    portal_notifications: tuple[PortalNotification, ...] = ()


def derived_id(event_id: UUID, channel: str, target: str) -> str:
    """A stable id per event, channel and recipient, so a redelivered event plans the same ids.

    The channel of portal notifications is spelled "inbox": it is part of ids already stored.
    """
    return hashlib.sha256(f"{event_id}|{channel}|{target}".encode()).hexdigest()[:40]


def request_link(
    portal_base_url: str, request_type: ev.RequestType, request_id: UUID, lang: str = "nb"
) -> str:
    """The request's page; for a reader of nynorsk or English, the page in that language."""
    page = "agentrequest" if request_type is ev.RequestType.AGENT else "request"
    language = "" if lang == "nb" else f"&lang={lang}"
    return (
        f"{portal_base_url.rstrip('/')}/accessmanagement/ui/systemuser/{page}"
        f"?id={request_id}&skiplogout=true{language}"
    )


def system_display_name(system: ev.SystemDescription | None, system_id: str, lang: str = "nb") -> str:
    """The system's name in ``lang`` (else bokmål) as plain text (the vendor's words: ``vendor_text``),
    or its id when the notifier has not heard of it."""
    return plain_vendor_text(pick_name(system.name if system else {}, lang, system_id))


def _person(world: World, pid: str) -> Person | None:
    return next((p for p in world.people if p.pid == pid), None)


def _organisation_name(world: World, org_no: str) -> str:
    organisation = world.organisation(org_no)
    return organisation.name if organisation else org_no


def _escalation_subject(event: EscalationEvent, vendor_name: str, lang: str) -> str:
    key = "subject_reminder" if isinstance(event, ev.EscalationReminderTriggered) else "subject_escalated"
    return email_texts(lang)[key].format(vendor=vendor_name)


def _escalation_body(event: EscalationEvent, world: World, system_name: str, link: str, lang: str) -> str:
    t = email_texts(lang)
    vendor_name = _organisation_name(world, event.vendor_org_no)
    party_name = _organisation_name(world, event.party_org_no)
    lines = [
        t["greeting"],
        "",
        t["asks"].format(vendor=vendor_name, party=party_name, system=f"«{system_name}»"),
        t["named_by_vendor"].format(vendor=vendor_name),
    ]
    if isinstance(event, ev.RequestEscalated):
        forwarder = _person(world, event.escalated_by)
        forwarded_by = forwarder.name if forwarder else event.escalated_by
        if forwarded_by:
            lines.append(t["forwarded"].format(person=forwarded_by))
    else:
        lines.append(t["expires_soon"])
    lines += ["", t["open"].format(link=link), "", t["signoff"]]
    return "\n".join(lines)


def plan_escalation(
    event: EscalationEvent, world: World, system_names: Mapping[str, str], portal_base_url: str
) -> NotificationPlan:
    """An e-mail and a portal notification for each access manager the world knows, each in the
    recipient's language (bokmål when the world gives none)."""
    recipients = [person for pid in event.access_managers if (person := _person(world, pid))]
    jobs, notices = [], []
    vendor_name = _organisation_name(world, event.vendor_org_no)
    for person in recipients:
        lang = person.preferred_language
        link = request_link(portal_base_url, event.request_type, event.request_id, lang)
        subject = _escalation_subject(event, vendor_name, lang)
        system_name = plain_vendor_text(pick_name(system_names, lang, event.system_id))
        body = _escalation_body(event, world, system_name, link, lang)
        jobs.append(_escalation_email(event, person, subject, body))
        notices.append(_escalation_notice(event, person.pid, subject, body, link))
    return NotificationPlan(jobs=tuple(jobs), portal_notifications=tuple(notices))


def _escalation_email(event: EscalationEvent, person: Person, subject: str, body: str) -> DeliveryJob:
    job_id = derived_id(event.event_id, "email", person.pid)
    return DeliveryJob(job_id, f"<{job_id}@sysaccess>", Email(to=person.email, subject=subject, body=body))


def _escalation_notice(
    event: EscalationEvent, pid: str, subject: str, body: str, link: str
) -> PortalNotification:
    return PortalNotification(
        id=derived_id(event.event_id, "inbox", pid),
        pid=pid,
        request_id=str(event.request_id),
        title=subject,
        body=body,
        link=link,
        created=event.occurred_at.isoformat(),
    )


def plan_outcome_webhook(event: OutcomeEvent, webhook_url: str | None) -> NotificationPlan:
    """One signed webhook to the system's vendor, if it registered a webhook URL."""
    if webhook_url is None:
        return NotificationPlan()
    payload = WebhookPayload.of(event)
    webhook = Webhook(
        url=webhook_url, system_id=event.system_id, event_type=event.event_type, body=payload.to_json()
    )
    job = DeliveryJob(derived_id(event.event_id, "webhook", event.system_id), payload.delivery_id, webhook)
    return NotificationPlan(jobs=(job,))

"""What to send for an event: pure functions from an event to e-mails, inbox entries and webhooks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from shared import events as ev
from shared.world import World

WEBHOOK_EVENTS: tuple[type[ev.Message], ...] = (
    ev.SystemAccessCreated,
    ev.SystemAccessRequestRejected,
    ev.RequestTimedOut,
    ev.ClientAdded,
    ev.ClientRemoved,
    ev.SystemAccessDeleted,
)


@dataclass(frozen=True)
class Job:
    """One delivery to one recipient; its id is the same however often the event is redelivered."""

    id: str
    kind: Literal["email", "webhook"]
    delivery_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class InboxEntry:
    id: str
    pid: str
    request_id: str
    title: str
    body: str
    link: str
    created: str


@dataclass(frozen=True)
class Plan:
    jobs: list[Job] = field(default_factory=list)
    inbox: list[InboxEntry] = field(default_factory=list)


def _job_id(event_id: object, channel: str, target: str) -> str:
    return hashlib.sha256(f"{event_id}|{channel}|{target}".encode()).hexdigest()[:40]


def request_link(portal_base_url: str, request_type: ev.RequestType, request_id: object) -> str:
    page = "agentrequest" if request_type is ev.RequestType.AGENT else "request"
    return (
        f"{portal_base_url.rstrip('/')}/accessmanagement/ui/systemuser/{page}?id={request_id}&skiplogout=true"
    )


def plan_escalation(
    event: ev.RequestEscalated | ev.EscalationReminderTriggered,
    world: World,
    system_name: str,
    portal_base_url: str,
) -> Plan:
    vendor = world.organisation(event.vendor_org_no)
    party = world.organisation(event.party_org_no)
    vendor_name = vendor.name if vendor else event.vendor_org_no
    party_name = party.name if party else event.party_org_no
    link = request_link(portal_base_url, event.request_type, event.request_id)
    reminder = isinstance(event, ev.EscalationReminderTriggered)
    forwarded_by = ""
    if isinstance(event, ev.RequestEscalated):
        person = next((p for p in world.people if p.pid == event.escalated_by), None)
        forwarded_by = person.name if person else event.escalated_by
    subject = (
        f"Påminnelse: forespørsel om systemtilgang fra {vendor_name}"
        if reminder
        else f"Forespørsel om systemtilgang fra {vendor_name} er sendt videre til deg"
    )
    lines = [
        "Hei,",
        "",
        f"{vendor_name} ber om systemtilgang for {party_name} gjennom systemet {system_name}.",
    ]
    if forwarded_by:
        lines.append(f"{forwarded_by} har sendt forespørselen videre til tilgangsstyrerne.")
    if reminder:
        lines.append("Forespørselen venter fortsatt på behandling og utløper snart.")
    lines += ["", f"Åpne forespørselen under Systemtilganger: {link}", "", "Hilsen sysaccess"]
    body = "\n".join(lines)
    plan = Plan()
    for pid in event.access_managers:
        person = next((p for p in world.people if p.pid == pid), None)
        if person is None:
            continue
        job_id = _job_id(event.event_id, "email", pid)
        plan.jobs.append(
            Job(
                id=job_id,
                kind="email",
                delivery_id=f"<{job_id}@sysaccess>",
                payload={"to": person.email, "subject": subject, "body": body},
            )
        )
        plan.inbox.append(
            InboxEntry(
                id=_job_id(event.event_id, "inbox", pid),
                pid=pid,
                request_id=str(event.request_id),
                title=subject,
                body=body,
                link=link,
                created=event.occurred_at.isoformat(),
            )
        )
    return plan


def plan_webhook(event: ev.Message, system_id: str, webhook_url: str | None) -> Plan:
    if webhook_url is None:
        return Plan()
    body = json.dumps(
        {
            "deliveryId": str(event.event_id),
            "eventType": event.event_type,
            "occurredAt": event.occurred_at.isoformat(),
            "data": json.loads(event.to_json_bytes()),
        },
        separators=(",", ":"),
    )
    job = Job(
        id=_job_id(event.event_id, "webhook", system_id),
        kind="webhook",
        delivery_id=str(event.event_id),
        payload={"url": webhook_url, "systemId": system_id, "eventType": event.event_type, "body": body},
    )
    return Plan(jobs=[job])

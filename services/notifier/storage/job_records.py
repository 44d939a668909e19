"""How a delivery job is written down: a Redis hash, and the ``payload`` object in dead letters."""

from __future__ import annotations

import json

from redis.typing import EncodableT, FieldT

from shared.tracing import carrier_from_json

from ..domain.deliveries import ClaimedJob, DeliveryJob, Email, Webhook

__all__ = ["claimed_job_from_hash", "job_hash", "message_payload"]


def message_payload(message: Email | Webhook) -> dict[str, str]:
    """The message as the JSON object stored in the job hash and put into dead letters."""
    match message:
        case Email():
            return {"to": message.to, "subject": message.subject, "body": message.body}
        case Webhook():
            return {
                "url": message.url,
                "systemId": message.system_id,
                "eventType": message.event_type,
                "body": message.body,
            }


def job_hash(job: DeliveryJob, trace: str = "") -> dict[FieldT, EncodableT]:
    """A new job's hash; ``attempts`` counts the failed attempts, ``trace`` (when given) is the
    trace context it was planned in (``shared.tracing.carrier_json``)."""
    fields: dict[FieldT, EncodableT] = {
        "kind": job.channel,
        "deliveryId": job.delivery_id,
        "payload": json.dumps(message_payload(job.message)),
        "attempts": 0,
    }
    if trace:
        fields["trace"] = trace
    return fields


def _message(kind: str, payload: dict[str, str]) -> Email | Webhook:
    if kind == "email":
        return Email(to=payload["to"], subject=payload["subject"], body=payload["body"])
    return Webhook(
        url=payload["url"],
        system_id=payload["systemId"],
        event_type=payload["eventType"],
        body=payload["body"],
    )


def claimed_job_from_hash(job_id: str, fields: dict[str, str]) -> ClaimedJob:
    payload: dict[str, str] = json.loads(fields["payload"])
    job = DeliveryJob(job_id, fields["deliveryId"], _message(fields["kind"], payload))
    return ClaimedJob(job, int(fields.get("attempts", "0")), carrier_from_json(fields.get("trace")))

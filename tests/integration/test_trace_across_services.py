"""One trace from a vendor's POST to the webhook that tells the vendor the outcome, across the
three services on the session's real Kafka and Redis (built in-process from their factories, so
an in-memory exporter sees every span).

The trace crosses HTTP (the FastAPI instrumentation), Redis (the outbox entry, the request
waiting for its decision, the delivery job keep their trace context) and Kafka (traceparent
headers): the POST's server span, the relay publishing SystemAccessRequested, approval
consuming it, the decision (sent from another trace, the portal's, which it links), the relay
publishing SystemAccessCreated, the notifier consuming it, and the webhook delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from redis.asyncio import Redis

from services.approval.factory import create_app as create_approval
from services.approval.settings import ApprovalSettings
from services.notifier.factory import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from services.request_intake.factory import create_app as create_intake
from shared import events as ev
from shared import topics, tracing
from shared.runtime import ServiceRuntime
from sysaccess.flows import DRESS_MINST, TIGER
from sysaccess.webhook_receiver import Receiver, webhook_receiver
from tests.conftest import TokenFactory, intake_settings
from tests.support.infra import Endpoints
from tests.support.tracing import span_exporter

POST_REQUEST = "/authentication/api/v1/systemuser/request/vendor"


async def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def hex_trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


def delivered(receiver: Receiver, request_id: str) -> list[Any]:
    return [
        d
        for d in list(receiver.deliveries)
        if json.loads(d.body).get("data", {}).get("requestId") == request_id
    ]


@pytest.mark.timeout(420)  # three services start in-process; slow on a busy machine
async def test_one_trace_spans_the_post_the_decision_and_the_webhook(
    endpoints: Endpoints, token_for: TokenFactory
) -> None:
    exporter = span_exporter()
    suffix = uuid.uuid4().hex[:8]
    seal_key = secrets.token_urlsafe(32)
    common: dict[str, Any] = {
        "kafka_bootstrap": endpoints.kafka_bootstrap,
        "redis_url": endpoints.services_redis,
        "json_logs": False,
        "log_level": "WARNING",
    }
    intake_app = create_intake(
        intake_settings(endpoints, webhook_seal_keys=seal_key, allow_loopback_http_webhooks=True)
    )
    approval: dict[str, Any] = {
        **common,
        **endpoints.service_settings("approval"),
        "redis_prefix": f"approval-{suffix}",
        "consumer_group": f"approval-{suffix}",
    }
    notifier: dict[str, Any] = {
        **common,
        **endpoints.service_settings("notifier"),
        "redis_prefix": f"notifier-{suffix}",
        "consumer_group": f"notifier-{suffix}",
        "webhook_seal_keys": seal_key,
        "allow_loopback_http_webhooks": True,
    }
    approval_app = create_approval(ApprovalSettings(**approval))
    notifier_app = create_notifier(NotifierSettings(**notifier))
    admin = Redis.from_url(endpoints.redis_url, decode_responses=True)
    # A hang fails here, with the traceback of the await it hung in, well before pytest-timeout
    # (which shows only threads, and the event loop idle in select).
    async with asyncio.timeout(300):
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(admin.aclose)
            for app in (intake_app, approval_app, notifier_app):
                await stack.enter_async_context(app.router.lifespan_context(app))
            receiver = stack.enter_context(webhook_receiver())
            vendor = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=intake_app), base_url="http://intake.test"
                )
            )
            auth = {"Authorization": f"Bearer {token_for()}"}

            system_id = await register_system(vendor, auth, receiver.url)
            await eventually(
                lambda: admin.exists(f"notifier-{suffix}:system:{system_id}"),
                "the notifier to learn the system",
            )

            exporter.clear()
            posted = await vendor.post(POST_REQUEST, json=request_body(system_id), headers=auth)
            assert posted.status_code in (200, 201), posted.text
            request_id = posted.json()["id"]
            await eventually(
                lambda: admin.exists(f"approval-{suffix}:request:{request_id}"),
                "approval to receive the request",
            )

            # The portal's decision, sent from a trace of its own (a person's click).
            with tracing.span("portal decide") as click:
                await send_decision(approval_app, request_id)
            await eventually(lambda: delivered(receiver, request_id), "the webhook")

            post_span = only(
                exporter.get_finished_spans(), f"POST {POST_REQUEST}", posted.headers["x-request-id"]
            )
            trace_id = hex_trace(post_span)

            def in_trace() -> dict[str, list[ReadableSpan]]:
                found: dict[str, list[ReadableSpan]] = {}
                for span in exporter.get_finished_spans():
                    if hex_trace(span) == trace_id:
                        found.setdefault(span.name, []).append(span)
                return found

            await eventually(lambda: "webhook deliver" in in_trace(), "the delivery span to end")
            names = in_trace()
            for expected in (
                f"{topics.ACCESS_REQUESTED.name} publish",  # intake's outbox relay
                f"{topics.ACCESS_REQUESTED.name} process",  # approval's consumer
                "approval decide",
                f"{topics.ACCESS_CREATED.name} publish",  # approval's outbox relay
                f"{topics.ACCESS_CREATED.name} process",  # the notifier's consumer (and intake's)
                "webhook deliver",
            ):
                assert expected in names, f"{expected} not in the trace: {sorted(names)}"
            (decide,) = names["approval decide"]
            # Linked to the command's consumer span, in the portal's trace.
            assert [link.context.trace_id for link in decide.links] == [click.get_span_context().trace_id]
            assert decide.attributes is not None
            assert decide.attributes["sysaccess.outcome"] == "Accepted"
            hooks = delivered(receiver, request_id)
            assert hooks
            # The trace stays inside: nothing of it goes to the vendor. (Services of other tests in
            # the same session read the same topics and may deliver too; none may leak it either.)
            assert all(not {"traceparent", "tracestate"} & {k.lower() for k in h.headers} for h in hooks)


def only(spans: tuple[ReadableSpan, ...], name: str, request_id: str) -> ReadableSpan:
    matching = [
        s for s in spans if s.name == name and (s.attributes or {}).get("http.request.id") == request_id
    ]
    assert len(matching) == 1, [s.name for s in spans]
    return matching[0]


async def register_system(vendor: httpx.AsyncClient, auth: dict[str, str], webhook_url: str) -> str:
    system_id = f"314000110_trace{uuid.uuid4().hex[:8]}"
    body = {
        "id": system_id,
        "vendor": {"authority": "iso6523-actorid-upis", "ID": "0192:314000110"},
        "name": {"nb": "SmartCloud Trace"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
        "allowedRedirectUrls": ["https://smartcloud.example/receipt"],
        "webhookUrl": webhook_url,
    }
    registered = await vendor.post("/authentication/api/v1/systemregister/vendor", json=body, headers=auth)
    assert registered.status_code in (200, 201), registered.text
    return system_id


def request_body(system_id: str) -> dict[str, Any]:
    return {
        "systemId": system_id,
        "partyOrgNo": TIGER,
        "externalRef": uuid.uuid4().hex,
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
        "redirectUrl": "https://smartcloud.example/receipt",
    }


async def send_decision(approval_app: FastAPI, request_id: str) -> None:
    """What the portal sends when a person approves (``KafkaDecisionCommands``)."""
    runtime: ServiceRuntime = approval_app.state.runtime
    command = ev.DecideRequest(
        request_id=uuid.UUID(request_id),
        party_org_no=TIGER,
        decision=ev.Decision.APPROVE,
        actor_pid=DRESS_MINST,
    )
    await runtime.broker.publish(
        command.to_json_bytes(),
        topic=topics.DECIDE_REQUEST.name,
        key=topics.DECIDE_REQUEST.key_of(command),
        headers=command.headers(),
    )

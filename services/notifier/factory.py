"""The notifier's composition root: settings in, every object of the process out.

``build`` wires Redis, Kafka, the HTTP client, the adapters and the use cases into one
``Context`` and registers the Kafka table; nothing connects until the app's lifespan starts
the runtime (and, with it, the delivery loop).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from shared.observability import configure_logging
from shared.routing import subscribe
from shared.runtime import ServiceRuntime
from shared.sealing import SecretBox, parse_keyring
from shared.tracing import configure_tracing
from shared.webapp import create_service_app
from shared.world import load_world

from .domain.concurrency import ConcurrencyLimits
from .domain.retries import RetryPolicy
from .handlers import api, deps, kafka
from .services.delivery import DeliverDueJobs, DeliveryLoop, Senders
from .services.planning import PlanNotifications
from .services.portal_notifications import PortalNotifications
from .services.signing import WebhookSigningSecrets
from .services.systems import SystemProjection
from .settings import NotifierSettings
from .storage.dead_letters import KafkaDeadLetters
from .storage.delivery_queue import RedisDeliveryQueue
from .storage.email import SmtpEmailSender
from .storage.keys import NotifierKeys
from .storage.portal_notifications import RedisPortalNotifications
from .storage.schedule import RedisNotificationSchedule
from .storage.systems import RedisSystemCatalog
from .storage.webhook_secrets import RedisWebhookSecrets
from .storage.webhook_transport import guarded_client
from .storage.webhooks import HttpWebhookSender

__all__ = ["SERVICE_NAME", "Context", "build", "create_app"]

SERVICE_NAME = "notifier"


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    """The notifier's per-process objects; built once, started and stopped by ``runtime``."""

    settings: NotifierSettings
    runtime: ServiceRuntime
    """Redis, the Kafka broker and the background tasks; closes ``http`` on stop."""
    http: httpx.AsyncClient
    """Shared by every webhook attempt, for its connection pool; connects only to checked addresses."""
    signing_secrets: WebhookSigningSecrets
    senders: Senders
    planning: PlanNotifications
    system_projection: SystemProjection
    portal_notifications: PortalNotifications
    deliver_due_jobs: DeliverDueJobs
    delivery_loop: DeliveryLoop


def build(settings: NotifierSettings) -> Context:
    """Every object of the process, wired; the Kafka table is registered on the broker."""
    runtime = ServiceRuntime.build(
        SERVICE_NAME,
        settings.kafka_bootstrap,
        settings.redis_url,
        outbox_stream=None,
        kafka_credentials=settings.kafka_credentials(),
        redis_username=settings.redis_login()[0],
        redis_password=settings.redis_login()[1],
    )
    keys = NotifierKeys(settings.redis_prefix)
    systems = RedisSystemCatalog(runtime.redis, keys)
    secrets = RedisWebhookSecrets(runtime.redis, keys)
    signing_secrets = WebhookSigningSecrets(
        secrets, SecretBox(parse_keyring(settings.webhook_seal_keys.get_secret_value()))
    )
    http = guarded_client(allow_loopback=settings.allow_loopback_http_webhooks)
    # runtime.stop() cancels and awaits the delivery loop (which stops the attempts under way)
    # before it runs the closers, so the client is closed only once no attempt uses it.
    runtime.on_stop(http.aclose)
    senders = _senders(settings, http, signing_secrets)
    deliver_due_jobs = _deliver_due_jobs(settings, runtime, keys, senders)
    ctx = Context(
        settings=settings,
        runtime=runtime,
        http=http,
        signing_secrets=signing_secrets,
        senders=senders,
        planning=PlanNotifications(
            RedisNotificationSchedule(runtime.redis, keys),
            systems,
            load_world(settings.world_file),
            settings.portal_base_url,
        ),
        system_projection=SystemProjection(systems, secrets),
        portal_notifications=PortalNotifications(RedisPortalNotifications(runtime.redis, keys)),
        deliver_due_jobs=deliver_due_jobs,
        delivery_loop=DeliveryLoop.of(deliver_due_jobs, idle_seconds=settings.idle_poll_seconds),
    )
    subscribe(runtime.broker, settings.consumer_group, kafka.routes(ctx), document_on=runtime.specification)
    return ctx


def _deliver_due_jobs(
    settings: NotifierSettings, runtime: ServiceRuntime, keys: NotifierKeys, senders: Senders
) -> DeliverDueJobs:
    policy = RetryPolicy(
        max_attempts=settings.max_attempts,
        first_delay=settings.first_retry_seconds,
        max_delay=settings.max_retry_seconds,
    )
    return DeliverDueJobs(
        RedisDeliveryQueue(runtime.redis, keys),
        senders,
        KafkaDeadLetters(runtime.broker),
        policy,
        lease_seconds=settings.lease_seconds,
        limits=ConcurrencyLimits(overall=settings.max_in_flight, per_host=settings.max_in_flight_per_host),
        busy_delay_seconds=settings.busy_host_delay_seconds,
    )


def _senders(
    settings: NotifierSettings, http: httpx.AsyncClient, signing_secrets: WebhookSigningSecrets
) -> Senders:
    email = SmtpEmailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        timeout_seconds=settings.smtp_timeout_seconds,
        from_address=settings.smtp_sender,
    )
    webhook = HttpWebhookSender(
        http,
        signing_secrets.for_system,
        deadline_seconds=settings.webhook_timeout_seconds,
        max_response_bytes=settings.webhook_max_response_bytes,
        allow_loopback_http=settings.allow_loopback_http_webhooks,
    )
    return Senders(email=email, webhook=webhook)


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    """The notifier's ASGI app: health, metrics and the internal API; delivery runs in the lifespan."""
    settings = settings or NotifierSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    configure_tracing(SERVICE_NAME, otlp_endpoint=settings.otlp_traces_endpoint)
    ctx = build(settings)

    async def start_delivery(app: FastAPI) -> None:
        ctx.runtime.spawn(ctx.delivery_loop.run())

    app = create_service_app(
        ctx.runtime,
        title="sysaccess notifier",
        description="Notifications: e-mail, inbox and vendor webhooks",
        on_startup=start_delivery,
        exposure=settings.exposure(),
    )
    deps.install(app, deps.InternalApi(ctx.portal_notifications, settings.internal_token.get_secret_value()))
    app.include_router(api.router)
    return app

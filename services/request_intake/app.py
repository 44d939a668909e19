"""Composition root of request_intake: builds clients from settings; nothing connects at import."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from shared.observability import configure_logging
from shared.runtime import ServiceRuntime
from shared.webapp import create_service_app
from shared.world import load_world

from .api import router
from .auth import TokenVerifier
from .consumers import register_consumers
from .service import IntakeService
from .settings import IntakeSettings
from .store import IntakeStore

SERVICE_NAME = "request-intake"


def build_runtime(settings: IntakeSettings) -> tuple[ServiceRuntime, IntakeService]:
    runtime = ServiceRuntime.build(
        SERVICE_NAME,
        settings.kafka_bootstrap,
        settings.redis_url,
        outbox_stream=f"{settings.redis_prefix}:outbox" if settings.outbox_relay else None,
    )
    store = IntakeStore(runtime.redis, settings.redis_prefix)
    register_consumers(runtime.broker, store, settings.consumer_group)
    service = IntakeService(
        store,
        load_world(settings.world_file),
        portal_base_url=settings.portal_base_url,
        public_base_url=settings.public_base_url,
        request_ttl=timedelta(days=settings.request_ttl_days),
        page_size=settings.page_size,
        require_known_party=settings.require_known_party,
        webhook_master_key=settings.webhook_master_key.get_secret_value(),
        insecure_loopback_webhooks=settings.allow_loopback_http_webhooks,
    )
    return runtime, service


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    runtime, service = build_runtime(settings)

    async def on_startup(app: FastAPI) -> None:
        app.state.verifier = TokenVerifier.from_file(settings.jwks_file, settings.token_issuers)
        if settings.seed_systems:
            for system in service.world.systems:
                await service.seed_system(system)

    app = create_service_app(
        runtime,
        title="sysaccess request_intake",
        description="Altinn-compatible vendor API for system access requests",
        on_startup=on_startup,
    )
    app.state.service = service
    app.include_router(router)
    return app

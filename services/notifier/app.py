"""Composition root of notifier (e-mail, inbox entries and vendor webhooks)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from shared.observability import configure_logging
from shared.runtime import ServiceRuntime
from shared.webapp import create_service_app
from shared.world import load_world

from .api import router
from .consumers import register_consumers
from .delivery import DeliveryLoop, Senders
from .service import Notifications
from .settings import NotifierSettings
from .store import NotifierStore

SERVICE_NAME = "notifier"


def build_runtime(settings: NotifierSettings) -> ServiceRuntime:
    return build(settings)[0]


def build(settings: NotifierSettings) -> tuple[ServiceRuntime, NotifierStore, Notifications]:
    runtime = ServiceRuntime.build(
        SERVICE_NAME, settings.kafka_bootstrap, settings.redis_url, outbox_stream=None
    )
    store = NotifierStore(runtime.redis, settings.redis_prefix)
    notifications = Notifications(store, load_world(settings.world_file), settings.portal_base_url)
    register_consumers(runtime.broker, notifications, store, settings.consumer_group)
    return runtime, store, notifications


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    runtime, store, _ = build(settings)

    async def on_startup(app: FastAPI) -> None:
        http = httpx.AsyncClient(follow_redirects=False)
        loop = DeliveryLoop(store, Senders(settings, http), runtime.broker, settings)
        runtime.spawn(loop.run())
        runtime.on_stop(http.aclose)

    app = create_service_app(
        runtime,
        title="sysaccess notifier",
        description="Notifications: e-mail, inbox and vendor webhooks",
        on_startup=on_startup,
    )
    app.state.notifier_store = store
    app.state.internal_token = settings.internal_token.get_secret_value()
    app.include_router(router)
    return app

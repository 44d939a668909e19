"""Composition root of notifier (e-mail, inbox entries and vendor webhooks)."""

from __future__ import annotations

from fastapi import FastAPI

from shared.observability import configure_logging
from shared.runtime import ServiceRuntime
from shared.webapp import create_service_app

from .settings import NotifierSettings

SERVICE_NAME = "notifier"


def build_runtime(settings: NotifierSettings) -> ServiceRuntime:
    return ServiceRuntime.build(
        SERVICE_NAME, settings.kafka_bootstrap, settings.redis_url, outbox_stream=None
    )


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    runtime = build_runtime(settings)
    return create_service_app(
        runtime,
        title="sysaccess notifier",
        description="Notifications: e-mail, inbox and vendor webhooks",
    )

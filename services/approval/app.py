"""Composition root of approval: portal, BFF and decision worker, built from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from shared.events import DecideRequest
from shared.observability import configure_logging
from shared.runtime import ServiceRuntime
from shared.topics import DECIDE_REQUEST
from shared.webapp import create_service_app
from shared.world import load_world

from . import web, web_clients
from .client_admin import ClientAdministration
from .directory import Directory
from .expiry import ExpiryJob
from .identity import DevelopmentIdentityProvider
from .inbox import InboxClient
from .portal import Portal
from .sessions import SessionStore
from .settings import ApprovalSettings
from .store import ApprovalStore
from .web import PortalContext
from .worker import DecisionWorker, register_consumers

SERVICE_NAME = "approval"


@dataclass(frozen=True)
class Approval:
    runtime: ServiceRuntime
    directory: Directory
    store: ApprovalStore
    portal: Portal
    sessions: SessionStore


def build(settings: ApprovalSettings) -> Approval:
    runtime = ServiceRuntime.build(
        SERVICE_NAME,
        settings.kafka_bootstrap,
        settings.redis_url,
        outbox_stream=f"{settings.redis_prefix}:outbox",
    )
    world = load_world(settings.world_file)
    directory = Directory(runtime.redis, settings.redis_prefix, world)
    store = ApprovalStore(runtime.redis, settings.redis_prefix)
    worker = DecisionWorker(store, directory)
    register_consumers(runtime.broker, store, worker, settings.consumer_group)
    decisions = runtime.broker.publisher(
        DECIDE_REQUEST.name, schema=DecideRequest, title=f"{DECIDE_REQUEST.name}:Publish"
    )
    portal = Portal(store, directory, world, decisions, settings.decision_timeout_seconds)
    sessions = SessionStore(
        runtime.redis,
        settings.redis_prefix,
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    return Approval(runtime, directory, store, portal, sessions)


def build_runtime(settings: ApprovalSettings) -> ServiceRuntime:
    return build(settings).runtime


def create_app(settings: ApprovalSettings | None = None) -> FastAPI:
    settings = settings or ApprovalSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    approval = build(settings)

    async def on_startup(_app: FastAPI) -> None:
        if settings.seed_directory:
            await approval.directory.seed()
        expiry = ExpiryJob(approval.store, approval.directory, interval_seconds=settings.expiry_check_seconds)
        approval.runtime.spawn(expiry.run())

    app = create_service_app(
        approval.runtime,
        title="sysaccess approval",
        description="End-user portal, BFF and decision worker",
        on_startup=on_startup,
    )
    inbox = InboxClient(settings.notifier_url, settings.notifier_token.get_secret_value())
    approval.runtime.on_stop(inbox.aclose)
    context = PortalContext(
        approval.portal,
        approval.sessions,
        approval.directory,
        inbox,
        ClientAdministration(approval.store, approval.directory),
        settings.public_base_url,
        DevelopmentIdentityProvider(approval.directory, enabled=settings.dev_login),
    )
    install_portal(app, context)
    app.state.approval = approval
    return app


def install_portal(app: FastAPI, context: PortalContext) -> None:
    app.state.portal_context = context
    app.add_middleware(web.SecurityHeaders)
    for router in (web.login_router, web_clients.pages, web.pages_router, web_clients.bff, web.bff_router):
        app.include_router(router)

"""Composition root of approval: builds every client, store and use case from settings.

Nothing connects here; the runtime starts the connections in the app's lifespan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from shared.events import DecideChangeRequest, DecideRequest
from shared.observability import configure_logging
from shared.ratelimit import RateLimit, RedisRateLimiter
from shared.routing import declare_publishers, subscribe
from shared.runtime import ServiceRuntime
from shared.topics import DECIDE_CHANGE_REQUEST, DECIDE_REQUEST
from shared.tracing import configure_tracing
from shared.webapp import create_service_app
from shared.world import load_world

from .handlers import kafka
from .handlers.cookies import SignedCookies
from .handlers.deps import PortalContext
from .handlers.login import CALLBACK_PATH, LOGOUT_COMPLETE_PATH
from .handlers.web import install_portal
from .services.access_details import AccessDetails
from .services.change_requests import ChangeRequestPortal, ChangeRequestsArriving, ChangeRequestWorker
from .services.client_admin import ClientAdministration
from .services.decisions import DecisionWorker, InlineDecisions
from .services.expiry import ExpiryJob
from .services.login import Login
from .services.naming import Names
from .services.overview import Overview
from .services.portal import Portal
from .services.projections import Projections
from .settings import ApprovalSettings
from .storage.accesses import RedisAccesses
from .storage.change_requests import RedisChangeRequests
from .storage.decision_commands import KafkaDecisionCommands
from .storage.directory import RedisDirectory
from .storage.history import RedisHistory
from .storage.notifications import NotifierClient
from .storage.oidc import OidcIdentityProvider
from .storage.requests import RedisRequests
from .storage.sessions import RedisSessions
from .storage.systems import RedisSystems

__all__ = ["SERVICE_NAME", "Approval", "build", "create_app"]

SERVICE_NAME = "approval"
# Bulk client calls carry up to 1,000 organisation numbers.
BULK_CLIENTS_PATH = "/accessmanagement/api/v1/systemuser/agentdelegation"
BULK_BODY_BYTES = 256 * 1024
# Portal requests that may wait on their decision at once, each on a Redis connection of its own.
DECISION_WAITS = 2000


@dataclass(frozen=True)
class Approval:
    """approval's typed context: the runtime, its stores and its use cases."""

    runtime: ServiceRuntime
    directory: RedisDirectory
    requests: RedisRequests
    accesses: RedisAccesses
    systems: RedisSystems
    notifier: NotifierClient
    identity: OidcIdentityProvider
    worker: DecisionWorker
    expiry: ExpiryJob
    portal: PortalContext


def build(settings: ApprovalSettings) -> Approval:
    runtime = ServiceRuntime.build(
        SERVICE_NAME,
        settings.kafka_bootstrap,
        settings.redis_url,
        outbox_stream=f"{settings.redis_prefix}:outbox",
        kafka_credentials=settings.kafka_credentials(),
        redis_username=settings.redis_login()[0],
        redis_password=settings.redis_login()[1],
    )
    redis, prefix = runtime.redis, settings.redis_prefix
    world = load_world(settings.world_file)
    directory = RedisDirectory(redis, prefix, world)
    requests, accesses, systems = (
        RedisRequests(redis, prefix, waits=runtime.extra_redis(max_connections=DECISION_WAITS)),
        RedisAccesses(redis, prefix),
        RedisSystems(redis, prefix),
    )
    names = Names(world)
    notifier = NotifierClient(settings.notifier_url, settings.notifier_token.get_secret_value())
    worker = DecisionWorker(
        requests, directory, max_command_age=timedelta(seconds=settings.decision_command_max_age_seconds)
    )
    change_requests = RedisChangeRequests(redis, prefix)
    arriving_changes = ChangeRequestsArriving(change_requests)
    change_worker = ChangeRequestWorker(change_requests, directory)
    subscribe(
        runtime.broker,
        settings.consumer_group,
        kafka.routes(
            Projections(requests, systems),
            worker,
            arriving_changes,
            change_worker,
        ),
        document_on=runtime.specification,
    )
    declare_publishers(runtime.specification, (*kafka.PUBLISHES, DECIDE_REQUEST, DECIDE_CHANGE_REQUEST))
    decisions = runtime.broker.publisher(
        DECIDE_REQUEST.name, schema=DecideRequest, title=f"{DECIDE_REQUEST.name}:Publish"
    )
    change_decisions = runtime.broker.publisher(
        DECIDE_CHANGE_REQUEST.name,
        schema=DecideChangeRequest,
        title=f"{DECIDE_CHANGE_REQUEST.name}:Publish",
    )
    sessions = RedisSessions(
        redis,
        prefix,
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    identity = OidcIdentityProvider(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret.get_secret_value(),
        settings.oidc_minimum_acr,
        settings.oidc_browser_issuer,
    )
    public = settings.public_base_url.rstrip("/")
    login = Login(
        identity,
        sessions,
        callback_url=f"{public}{CALLBACK_PATH}",
        post_logout_url=f"{public}{LOGOUT_COMPLETE_PATH}",
        minimum_acr=settings.oidc_minimum_acr,
    )
    portal = PortalContext(
        portal=Portal(
            requests,
            systems,
            directory,
            names,
            KafkaDecisionCommands(decisions)
            if settings.decisions_via_kafka
            else InlineDecisions(worker.apply_now),
            settings.decision_timeout_seconds,
            arrival_wait=settings.new_request_wait_seconds,
        ),
        overview=Overview(requests, accesses, directory, notifier, names),
        clients=ClientAdministration(accesses, directory, names),
        details=AccessDetails(accesses, RedisHistory(redis, prefix), requests, systems, directory, names),
        sessions=sessions,
        directory=directory,
        login=login,
        cookies=SignedCookies(
            settings.cookie_secret.get_secret_value(), secure=public.startswith("https://")
        ),
        public_base_url=settings.public_base_url,
        limiter=RedisRateLimiter(redis, prefix),
        decision_limit=RateLimit("decisions", settings.decisions_per_minute, timedelta(minutes=1)),
        login_limit=RateLimit("logins", settings.logins_per_minute, timedelta(minutes=1)),
        changes=ChangeRequestPortal(
            change_requests,
            accesses,
            systems,
            directory,
            names,
            KafkaDecisionCommands(change_decisions, DECIDE_CHANGE_REQUEST)
            if settings.decisions_via_kafka
            else InlineDecisions(change_worker.apply_now),
            requests,
            settings.decision_timeout_seconds,
        ),
    )
    expiry = ExpiryJob(
        requests, directory, interval_seconds=settings.expiry_check_seconds, changes=arriving_changes
    )
    return Approval(
        runtime, directory, requests, accesses, systems, notifier, identity, worker, expiry, portal
    )


def create_app(settings: ApprovalSettings | None = None) -> FastAPI:
    settings = settings or ApprovalSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    configure_tracing(SERVICE_NAME, otlp_endpoint=settings.otlp_traces_endpoint)
    approval = build(settings)

    async def on_startup(_app: FastAPI) -> None:
        if settings.seed_directory:
            await approval.directory.seed()
        approval.runtime.spawn(approval.expiry.run())

    app = create_service_app(
        approval.runtime,
        title="sysaccess approval",
        description="End-user portal, BFF and decision worker",
        on_startup=on_startup,
        exposure=settings.exposure(body_limits=((BULK_CLIENTS_PATH, BULK_BODY_BYTES),)),
    )
    approval.runtime.on_stop(approval.notifier.aclose)
    approval.runtime.on_stop(approval.identity.aclose)
    install_portal(app, approval.portal)
    return app

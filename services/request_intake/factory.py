"""The composition root of request_intake: settings in, a typed Context and the ASGI app out.

``build`` creates every object the service runs on; nothing connects and no file is read
until the app starts, so the AsyncAPI and OpenAPI documents can be built anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from starlette.middleware import Middleware

from shared.observability import configure_logging
from shared.ratelimit import RateLimit, RedisRateLimiter
from shared.routing import declare_publishers, subscribe
from shared.runtime import ServiceRuntime
from shared.sealing import SecretBox, parse_keyring
from shared.tracing import configure_tracing
from shared.webapp import create_service_app
from shared.world import load_world

from .handlers import kafka
from .handlers.api import API_PREFIX, router
from .handlers.auth import document_bearer
from .handlers.auth_first import AuthenticateFirst
from .handlers.change_requests import router as change_request_router
from .handlers.deps import install_context
from .handlers.problems import install_refusal_handler
from .handlers.schemas import PublicUrls
from .handlers.system_users import DECISION_PREFIX
from .handlers.system_users import router as system_user_router
from .services.accesses import SystemAccesses
from .services.change_requests import ChangeOutcomes, ChangeRequests
from .services.ports import AccessReader, OutcomeStore, RequestStore, SystemStore
from .services.projections import OutcomeProjection
from .services.requests import AccessRequests
from .services.system_register import SystemRegister
from .services.system_users import AccessDecisions, SystemUserTokens
from .settings import IntakeSettings
from .storage.accesses import RedisAccessReader
from .storage.change_requests import RedisChangeRequestStore
from .storage.keys import IntakeKeys
from .storage.outcomes import RedisOutcomeStore
from .storage.requests import RedisRequestStore
from .storage.signing_keys import SigningKeys
from .storage.systems import RedisSystemStore
from .storage.vendor_tokens import ProviderTokens

__all__ = ["SERVICE_NAME", "Context", "build", "create_app"]

SERVICE_NAME = "request-intake"


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    """Everything one intake process holds, built once from its settings."""

    settings: IntakeSettings
    runtime: ServiceRuntime
    """Redis, the Kafka broker (with intake's subscriptions) and the outbox relay."""
    system_store: SystemStore
    request_store: RequestStore
    outcome_store: OutcomeStore
    access_reader: AccessReader
    systems: SystemRegister
    requests: AccessRequests
    accesses: SystemAccesses
    projections: OutcomeProjection
    tokens: ProviderTokens
    urls: PublicUrls
    limiter: RedisRateLimiter
    vendor_post_limit: RateLimit
    system_user_tokens: SystemUserTokens
    """Maskinporten's lookup and the system-user token endpoint."""
    decisions: AccessDecisions
    """The decision point resource APIs ask."""
    change_requests: ChangeRequests
    change_outcomes: ChangeOutcomes


def build(settings: IntakeSettings) -> Context:
    """Build the service; its Kafka subscriptions and publishers are on ``runtime.broker``."""
    runtime = ServiceRuntime.build(
        SERVICE_NAME,
        settings.kafka_bootstrap,
        settings.redis_url,
        outbox_stream=IntakeKeys(settings.redis_prefix).outbox if settings.outbox_relay else None,
        kafka_credentials=settings.kafka_credentials(),
        redis_username=settings.redis_login()[0],
        redis_password=settings.redis_login()[1],
    )
    context = _context(settings, runtime)
    subscribe(
        runtime.broker, settings.consumer_group, kafka.routes(context), document_on=runtime.specification
    )
    declare_publishers(runtime.specification, kafka.PUBLISHES)
    return context


def _context(settings: IntakeSettings, runtime: ServiceRuntime) -> Context:
    keys = IntakeKeys(settings.redis_prefix)
    world = load_world(settings.world_file)
    system_store = RedisSystemStore(runtime.redis, keys)
    request_store = RedisRequestStore(runtime.redis, keys)
    outcome_store = RedisOutcomeStore(runtime.redis, keys)
    access_reader = RedisAccessReader(runtime.redis, keys)
    change_store = RedisChangeRequestStore(runtime.redis, keys)
    signer = SigningKeys.from_setting(settings.systemuser_signing_keys.get_secret_value())
    issuer = settings.systemuser_issuer or f"{settings.public_base_url.rstrip('/')}/oauth2"
    return Context(
        settings=settings,
        runtime=runtime,
        system_store=system_store,
        request_store=request_store,
        outcome_store=outcome_store,
        access_reader=access_reader,
        systems=SystemRegister(
            system_store,
            world,
            sealer=SecretBox(parse_keyring(settings.webhook_seal_keys.get_secret_value())),
            secret_grace=timedelta(hours=settings.webhook_secret_grace_hours),
            insecure_loopback_webhooks=settings.allow_loopback_http_webhooks,
        ),
        requests=AccessRequests(
            request_store,
            system_store,
            world,
            request_ttl=timedelta(days=settings.request_ttl_days),
            page_size=settings.page_size,
            require_known_party=settings.require_known_party,
        ),
        accesses=SystemAccesses(access_reader, system_store, world, page_size=settings.page_size),
        projections=OutcomeProjection(outcome_store),
        tokens=ProviderTokens(
            issuer=settings.token_issuer,
            jwks_url=settings.token_jwks_url or f"{settings.token_issuer.rstrip('/')}/jwks",
            audience=settings.token_audience,
            max_lifetime_seconds=settings.token_max_lifetime_seconds,
        ),
        limiter=RedisRateLimiter(runtime.redis, settings.redis_prefix),
        vendor_post_limit=RateLimit("vendor-posts", settings.vendor_posts_per_minute, timedelta(minutes=1)),
        urls=PublicUrls(
            api_base_url=settings.public_base_url.rstrip("/"),
            portal_base_url=settings.portal_base_url.rstrip("/"),
        ),
        system_user_tokens=SystemUserTokens(
            access_reader,
            system_store,
            signer,
            world,
            issuer=issuer,
            lifetime_seconds=settings.systemuser_token_seconds,
            system_cache_seconds=settings.systemuser_system_cache_seconds,
        ),
        decisions=AccessDecisions(access_reader, system_store, signer, world, issuer=issuer),
        change_requests=ChangeRequests(
            change_store,
            access_reader,
            system_store,
            world,
            ttl=timedelta(days=settings.request_ttl_days),
            page_size=settings.page_size,
        ),
        change_outcomes=ChangeOutcomes(change_store),
    )


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    """The vendor API as an ASGI app; starting it starts Kafka, Redis and the outbox relay."""
    settings = settings or IntakeSettings()
    configure_logging(SERVICE_NAME, settings.log_level, settings.json_logs)
    configure_tracing(SERVICE_NAME, otlp_endpoint=settings.otlp_traces_endpoint)
    context = build(settings)

    async def start(_app: FastAPI) -> None:
        if settings.seed_systems:
            await context.systems.seed()

    app = create_service_app(
        context.runtime,
        title="sysaccess request_intake",
        description="Altinn-compatible vendor API for system access requests",
        on_startup=start,
        exposure=settings.exposure(),
        # The vendor's token is checked before a byte of its body is read.
        inner_middleware=[
            Middleware(AuthenticateFirst, prefix=API_PREFIX, verify=context.tokens.verify),
            Middleware(AuthenticateFirst, prefix=DECISION_PREFIX, verify=context.tokens.verify),
        ],
    )
    context.runtime.on_stop(context.tokens.aclose)
    install_context(app, context)
    install_refusal_handler(app)
    app.include_router(system_user_router)  # first: its routes sit on every vendor call path
    app.include_router(router)
    app.include_router(change_request_router)
    document_bearer(app, (API_PREFIX, DECISION_PREFIX))
    return app

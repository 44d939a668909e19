"""The FastAPI shell every service shares: problem+json, body limits, health, metrics and docs.

Public health answers only up or down (with the status code); which dependency is down is
shown only to a caller with the service's internal token. Docs and metrics can be turned
off on the public port.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.middleware import Middleware

from shared import metrics, tracing
from shared.bodylimit import BodyLimit
from shared.health import check_readiness
from shared.observability import install_metrics_route
from shared.problems import document_problems, install_problem_handlers
from shared.requestid import RequestId
from shared.runtime import ServiceRuntime

__all__ = ["Exposure", "create_ops_app", "create_service_app"]

Startup = Callable[[FastAPI], Awaitable[None]]


@dataclass(frozen=True)
class Exposure:
    """What the public port offers besides the API, and the limits it enforces."""

    docs: bool = True
    metrics: bool = True
    internal_token: str | None = None
    max_body_bytes: int = 64 * 1024
    body_limits: Sequence[tuple[str, int]] = field(default_factory=tuple)


def _internal_caller(request: Request, token: str | None) -> bool:
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and bool(offered) and hmac.compare_digest(offered, token or "")


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    on_startup: Startup | None = None,
    exposure: Exposure | None = None,
    inner_middleware: Sequence[Middleware] = (),
) -> FastAPI:
    """The service's app. ``inner_middleware`` runs inside the body limit (which is outermost, so a
    body over the limit is refused before anything else looks at the request)."""
    exposure = exposure or Exposure()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            if on_startup is not None:
                await on_startup(app)
            yield

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url="/docs" if exposure.docs else None,
        openapi_url="/openapi.json" if exposure.docs else None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    document_problems(app)
    for middleware in reversed(inner_middleware):
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    app.add_middleware(BodyLimit, default=exposure.max_body_bytes, by_prefix=exposure.body_limits)
    # Outermost last: the trace's server span, then the request id, then the HTTP metrics.
    metrics.instrument_app(app, runtime.name)
    app.add_middleware(RequestId)
    tracing.instrument_app(app)
    if exposure.metrics:
        install_metrics_route(app)

    @app.get("/livez", tags=["ops"])
    async def livez() -> dict[str, str]:
        """The process is up and serving HTTP."""
        return {"status": "up"}

    async def readiness(request: Request, up: str, down: str) -> JSONResponse:
        readiness = await check_readiness(runtime.name, runtime.redis, runtime.broker)
        body = {"status": up if readiness.ready else down}
        if _internal_caller(request, exposure.internal_token):
            body |= readiness.details()
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    @app.get("/readyz", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """503 unless Redis answers, the producer is connected and the consumers are in their groups."""
        return await readiness(request, "ready", "not-ready")

    @app.get("/health", tags=["ops"])
    async def health(request: Request) -> JSONResponse:
        """Readiness under its older name."""
        return await readiness(request, "ok", "down")

    return app


def create_ops_app(public: FastAPI) -> FastAPI:
    """The operators' port: metrics, readiness with details, liveness and the API's documents.

    Served beside the public app in the same process (see ``shared.serve``); it starts nothing
    itself, the public app's lifespan runs the service.
    """
    runtime: ServiceRuntime = public.state.runtime
    ops = FastAPI(title=f"{public.title} (operations)", docs_url=None, openapi_url=None, redoc_url=None)
    install_metrics_route(ops)

    @ops.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "up"}

    @ops.get("/readyz")
    async def readyz() -> JSONResponse:
        readiness = await check_readiness(runtime.name, runtime.redis, runtime.broker)
        body = {"status": "ready" if readiness.ready else "not-ready", **readiness.details()}
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    @ops.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(public.openapi())

    @ops.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=public.title)

    return ops

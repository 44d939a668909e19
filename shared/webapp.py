"""The FastAPI shell every service shares: problem+json, /metrics and /health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from shared.health import check_dependencies
from shared.observability import install_metrics_route
from shared.problems import install_problem_handlers
from shared.runtime import ServiceRuntime

Startup = Callable[[FastAPI], Awaitable[None]]


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    on_startup: Startup | None = None,
    docs: bool = True,
) -> FastAPI:
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
        docs_url="/docs" if docs else None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    install_metrics_route(app)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, Any]:
        checks = await check_dependencies(runtime.redis, runtime.broker)
        return {"status": "ok" if all(v == "ok" for v in checks.values()) else "degraded", **checks}

    return app

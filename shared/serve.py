"""Run a service's ASGI app with uvicorn; with an operators' port, run that app beside it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal, Protocol, TypeVar

import uvicorn
from fastapi import FastAPI

from shared.observability import configure_logging
from shared.webapp import create_ops_app

__all__ = ["serve"]


class ServerSettings(Protocol):
    host: str
    port: int
    ops_host: str
    ops_port: int | None
    access_log: bool


S = TypeVar("S", bound=ServerSettings)


def _server(
    app: FastAPI, host: str, port: int, lifespan: Literal["on", "off"], *, access_log: bool
) -> uvicorn.Server:
    # log_config=None: uvicorn keeps its hands off logging; its lines (the access log too) go
    # through the root handler that shared.observability.configure_logging installed, as JSON.
    return uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=access_log, lifespan=lifespan)
    )


async def _serve_both(public: uvicorn.Server, ops: uvicorn.Server) -> None:
    tasks = [asyncio.create_task(public.serve()), asyncio.create_task(ops.serve())]
    # Each server installs its own signal handlers; when one stops, stop the other too.
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    public.should_exit = ops.should_exit = True
    await asyncio.gather(*pending)


def serve(settings_class: Callable[[], S], create_app: Callable[[S], FastAPI], service: str = "") -> None:
    # JSON lines from the first one: reading the settings may already log (generated secrets);
    # create_app configures logging again with the settings' level and format.
    configure_logging(service or "sysaccess")
    settings = settings_class()
    app = create_app(settings)
    public = _server(app, settings.host, settings.port, lifespan="on", access_log=settings.access_log)
    if settings.ops_port is None:
        public.run()
        return
    # Both servers share uvicorn's access logger (one turned off would silence the other); the
    # log's filter drops successful probes and scrapes, which are most of the ops port's requests.
    ops = _server(
        create_ops_app(app),
        settings.ops_host,
        settings.ops_port,
        lifespan="off",
        access_log=settings.access_log,
    )
    # The loop uvicorn itself would run on (uvloop when installed), not asyncio's default.
    with asyncio.Runner(loop_factory=public.config.get_loop_factory()) as runner:
        runner.run(_serve_both(public, ops))

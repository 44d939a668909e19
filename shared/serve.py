"""Run a service's ASGI app with uvicorn; with an operators' port, run that app beside it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal, Protocol, TypeVar

import uvicorn
from fastapi import FastAPI

from shared.webapp import create_ops_app

__all__ = ["serve"]


class ServerSettings(Protocol):
    host: str
    port: int
    ops_host: str
    ops_port: int | None


S = TypeVar("S", bound=ServerSettings)


def _server(app: FastAPI, host: str, port: int, lifespan: Literal["on", "off"]) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan=lifespan)
    )


async def _serve_both(public: uvicorn.Server, ops: uvicorn.Server) -> None:
    tasks = [asyncio.create_task(public.serve()), asyncio.create_task(ops.serve())]
    # Each server installs its own signal handlers; when one stops, stop the other too.
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    public.should_exit = ops.should_exit = True
    await asyncio.gather(*pending)


def serve(settings_class: Callable[[], S], create_app: Callable[[S], FastAPI]) -> None:
    settings = settings_class()
    app = create_app(settings)
    public = _server(app, settings.host, settings.port, lifespan="on")
    if settings.ops_port is None:
        public.run()
        return
    ops = _server(create_ops_app(app), settings.ops_host, settings.ops_port, lifespan="off")
    # The loop uvicorn itself would run on (uvloop when installed), not asyncio's default.
    with asyncio.Runner(loop_factory=public.config.get_loop_factory()) as runner:
        runner.run(_serve_both(public, ops))

"""Run a service's ASGI app with uvicorn, on the host and port its settings name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import uvicorn
from fastapi import FastAPI


class ServerSettings(Protocol):
    host: str
    port: int


S = TypeVar("S", bound=ServerSettings)


def serve(settings_class: Callable[[], S], create_app: Callable[[S], FastAPI]) -> None:
    settings = settings_class()
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning", access_log=False
    )

"""Installs the portal on the service's FastAPI app: middleware, refusals, routers."""

from __future__ import annotations

from fastapi import FastAPI

from . import accesses, bff, clients, login, pages
from .deps import PortalContext
from .error_pages import install_error_pages
from .refusals import install_refusal_handler
from .security import SecurityHeaders

__all__ = ["install_portal"]


def install_portal(app: FastAPI, context: PortalContext) -> None:
    app.state.portal = context
    app.add_middleware(SecurityHeaders)
    install_refusal_handler(app)
    install_error_pages(app)
    for router in (login.router, accesses.pages, clients.pages, pages.router, clients.bff, bff.router):
        app.include_router(router)

"""Installs the portal on the service's FastAPI app: middleware, refusals, routers."""

from __future__ import annotations

from fastapi import FastAPI

from . import accesses, bff, change_requests, clients, login, pages
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
    routers = (
        login.router,
        accesses.pages,
        clients.pages,
        change_requests.pages,  # before pages.router, whose /systemuser/{kind}/... would take its paths
        pages.router,
        clients.bff,
        change_requests.bff,
        bff.router,
    )
    for router in routers:
        app.include_router(router)

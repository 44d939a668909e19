"""FastAPI dependencies of the internal API: the service-token check and the use case it serves."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from shared.problems import Problem

from ..services.portal_notifications import PortalNotifications

__all__ = ["InternalApi", "PortalNotificationsDep", "install", "require_internal_caller"]


@dataclass(frozen=True, slots=True)
class InternalApi:
    """What the internal API's handlers need; the composition root installs it on the app."""

    portal_notifications: PortalNotifications
    token: str


def install(app: FastAPI, api: InternalApi) -> None:
    app.state.internal_api = api


def _internal_api(request: Request) -> InternalApi:
    api = request.app.state.internal_api
    if not isinstance(api, InternalApi):
        raise TypeError("the internal API was not installed on this app")
    return api


InternalApiDep = Annotated[InternalApi, Depends(_internal_api)]


def _check_internal_token(request: Request, api: InternalApiDep) -> None:
    # Read from the raw headers rather than a Header() parameter, so the token stays out of
    # the published OpenAPI parameters.
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not offered or not hmac.compare_digest(offered, api.token):
        raise Problem(401, "Unauthorized", "The internal API needs the service token")


require_internal_caller = Depends(_check_internal_token)


def _portal_notifications(api: InternalApiDep) -> PortalNotifications:
    return api.portal_notifications


PortalNotificationsDep = Annotated[PortalNotifications, Depends(_portal_notifications)]

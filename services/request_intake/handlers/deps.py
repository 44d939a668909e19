"""FastAPI dependencies of the vendor API: the verified vendor, and the use cases of the Context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, runtime_checkable

from fastapi import Depends, FastAPI, Request

from shared.jwks import TokenRefused
from shared.problems import Problem
from shared.ratelimit import RateLimit, RateVerdict

from ..domain.vendors import Vendor
from ..services.accesses import SystemAccesses
from ..services.change_requests import ChangeOutcomes, ChangeRequests
from ..services.projections import OutcomeProjection
from ..services.requests import AccessRequests
from ..services.system_register import SystemRegister
from .auth import SCOPE_REGISTER_WRITE, SCOPE_REQUEST_READ, SCOPE_REQUEST_WRITE, unauthorized
from .schemas import PublicUrls

__all__ = [
    "Accesses",
    "ChangeRequestsDep",
    "HandlerContext",
    "RegisterWriter",
    "RequestReader",
    "RequestWriter",
    "Requests",
    "Systems",
    "TokenVerifying",
    "Urls",
    "install_context",
]


class RateLimiter(Protocol):
    async def hit(self, limit: RateLimit, subject: str) -> RateVerdict: ...


async def _within_rate(context: HandlerContext, vendor: Vendor) -> None:
    """A vendor organisation's POSTs per window, across every instance (the window is in Redis)."""
    verdict = await context.limiter.hit(context.vendor_post_limit, vendor.org_no)
    if not verdict.allowed:
        raise Problem(
            429,
            "Too Many Requests",
            f"Too many requests from {vendor.org_no}; try again in {verdict.retry_after} s",
            code="RATE-LIMITED",
            headers={"Retry-After": str(verdict.retry_after)},
        )


class TokenVerifying(Protocol):
    async def verify(self, token: str) -> Vendor:
        """The vendor the token proves; raise TokenRefused otherwise."""
        ...


@runtime_checkable
class HandlerContext(Protocol):
    """What the handlers take from the service's Context; ``factory.Context`` provides it."""

    @property
    def systems(self) -> SystemRegister: ...

    @property
    def requests(self) -> AccessRequests: ...

    @property
    def accesses(self) -> SystemAccesses: ...

    @property
    def projections(self) -> OutcomeProjection: ...

    @property
    def change_requests(self) -> ChangeRequests: ...

    @property
    def change_outcomes(self) -> ChangeOutcomes: ...

    @property
    def tokens(self) -> TokenVerifying: ...

    @property
    def urls(self) -> PublicUrls: ...

    @property
    def limiter(self) -> RateLimiter: ...

    @property
    def vendor_post_limit(self) -> RateLimit: ...


def install_context(app: FastAPI, context: HandlerContext) -> None:
    """Make ``context`` what this app's requests are served from."""
    app.state.handler_context = context


# Dependencies are ``async def`` even where they do no I/O: FastAPI runs a plain ``def`` dependency
# in its thread pool, a thread hop per dependency per request.
async def _context(request: Request) -> HandlerContext:
    context = request.app.state.handler_context
    if not isinstance(context, HandlerContext):
        raise TypeError("install_context was not called for this app")
    return context


ContextDep = Annotated[HandlerContext, Depends(_context)]


async def _systems(context: ContextDep) -> SystemRegister:
    return context.systems


async def _requests(context: ContextDep) -> AccessRequests:
    return context.requests


async def _accesses(context: ContextDep) -> SystemAccesses:
    return context.accesses


async def _urls(context: ContextDep) -> PublicUrls:
    return context.urls


async def _change_requests(context: ContextDep) -> ChangeRequests:
    return context.change_requests


Systems = Annotated[SystemRegister, Depends(_systems)]
Requests = Annotated[AccessRequests, Depends(_requests)]
Accesses = Annotated[SystemAccesses, Depends(_accesses)]
Urls = Annotated[PublicUrls, Depends(_urls)]
ChangeRequestsDep = Annotated[ChangeRequests, Depends(_change_requests)]


def _vendor_holding(scope: str) -> Callable[[Request, HandlerContext], Awaitable[Vendor]]:
    """A dependency: the vendor its bearer token proves, who must hold ``scope``."""

    async def vendor(request: Request, context: ContextDep) -> Vendor:
        # Read from the headers, not declared as a Header parameter: the OpenAPI document
        # describes authentication by status codes, not by a header field.
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("A bearer token is required")
        try:
            found = await context.tokens.verify(token.strip())
        except TokenRefused as exc:
            raise unauthorized(f"Invalid token: {exc}") from exc
        if scope not in found.scopes:
            raise Problem(403, "Forbidden", f"The token lacks the scope {scope}")
        if request.method == "POST":
            await _within_rate(context, found)
        return found

    return vendor


RegisterWriter = Annotated[Vendor, Depends(_vendor_holding(SCOPE_REGISTER_WRITE))]
RequestWriter = Annotated[Vendor, Depends(_vendor_holding(SCOPE_REQUEST_WRITE))]
RequestReader = Annotated[Vendor, Depends(_vendor_holding(SCOPE_REQUEST_READ))]

"""The vendor API's scopes and its answer to a missing or refused token."""

from __future__ import annotations

from shared.problems import Problem

__all__ = [
    "SCOPE_REGISTER_WRITE",
    "SCOPE_REQUEST_READ",
    "SCOPE_REQUEST_WRITE",
    "unauthorized",
]

SCOPE_REGISTER_WRITE = "altinn:authentication/systemregister.write"
SCOPE_REQUEST_WRITE = "altinn:authentication/systemuser.request.write"
SCOPE_REQUEST_READ = "altinn:authentication/systemuser.request.read"


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, code="AUTH-00023")

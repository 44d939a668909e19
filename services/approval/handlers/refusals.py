"""A domain refusal as an HTTP answer: problem+json for the BFF, a status for the pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.problems import Problem, problem_response

from ..domain.refusals import Refusal, RefusalReason, Refused

__all__ = ["headers_of", "install_refusal_handler", "problem_of", "status_of"]

_STATUS = {
    RefusalReason.INVALID: 400,
    RefusalReason.FORBIDDEN: 403,
    RefusalReason.NOT_FOUND: 404,
    RefusalReason.UNAVAILABLE: 503,
}
_TITLES = {
    RefusalReason.INVALID: "Bad Request",
    RefusalReason.FORBIDDEN: "Forbidden",
    RefusalReason.NOT_FOUND: "Not Found",
    RefusalReason.UNAVAILABLE: "Service Unavailable",
}


def status_of(refusal: Refusal) -> int:
    return _STATUS[refusal.reason]


# How long a client should wait before trying again after an outage.
RETRY_AFTER_SECONDS = 5


def headers_of(refusal: Refusal) -> dict[str, str]:
    if refusal.reason is RefusalReason.UNAVAILABLE:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {}


def problem_of(refusal: Refusal) -> Problem:
    extensions = {"clients": list(refusal.clients)} if refusal.clients else {}
    return Problem(
        status_of(refusal),
        refusal.title or _TITLES[refusal.reason],
        refusal.detail or None,
        code=refusal.code or None,
        headers=headers_of(refusal),
        **extensions,
    )


def install_refusal_handler(app: FastAPI) -> None:
    async def on_refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        return problem_response(problem_of(exc.refusal), request.url.path)

    app.add_exception_handler(Refused, on_refused)

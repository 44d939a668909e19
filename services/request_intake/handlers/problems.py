"""Refusals from the rules, answered as problem+json; the only place a refusal meets HTTP."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.problems import Problem, problem_response, validation_error

from ..domain.refusals import Refusal, RefusalKind

__all__ = ["install_refusal_handler", "problem_for"]

_STATUS = {RefusalKind.INVALID: 400, RefusalKind.FORBIDDEN: 403, RefusalKind.NOT_FOUND: 404}


def problem_for(refusal: Refusal) -> Problem:
    problem = Problem(_STATUS[refusal.kind], refusal.title, refusal.detail, code=refusal.code)
    problem.extensions.update({k: v if isinstance(v, str) else list(v) for k, v in refusal.details.items()})
    if refusal.errors:
        problem.extensions["errors"] = [validation_error(e.code, e.detail, e.paths) for e in refusal.errors]
    return problem


def install_refusal_handler(app: FastAPI) -> None:
    async def on_refusal(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refusal)
        return problem_response(problem_for(exc), request.url.path)

    app.add_exception_handler(Refusal, on_refusal)

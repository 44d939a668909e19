"""RFC 9457 problem details (application/problem+json) with Altinn's error codes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"

REQUEST_INVALID_CODE = "AUTH.VLD-BODY"
"""The problem code of a request its own schema refuses (a body, query or path that does not
validate); each entry of its ``errors`` says which field and why."""
REQUIRED_CODE = "STD.VLD-00000"
"""Altinn's standard validation error "The field is required." (StdValidationErrors.Required)."""

log = structlog.get_logger(__name__)


class Problem(Exception):
    """An error a client caused, reported as problem+json; raising it changes nothing."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        code: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": f"urn:sysaccess:problem:{self.code or self.status}",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            payload["detail"] = self.detail
        if self.code:
            payload["code"] = self.code
        if instance:
            payload["instance"] = instance
        payload.update(self.extensions)
        return payload


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def validation_error(code: str, detail: str, paths: Iterable[str]) -> dict[str, Any]:
    """One entry of a problem's ``errors``, in Altinn's shape: code, detail and JSON paths."""
    return {"code": code, "detail": detail, "paths": list(paths)}


_LOCATIONS = {"query": "$QUERY", "path": "$PATH", "header": "$HEADER", "cookie": "$COOKIE"}


def json_path(location: Sequence[str | int]) -> str:
    """A pydantic error location as a JSON pointer (RFC 6901): ``("body", "rights", 0)`` is
    ``/rights/0``; a parameter outside the body is named under its place, ``/$QUERY/token``."""
    where, *rest = location or ("body",)
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in rest]
    if where != "body":
        parts.insert(0, _LOCATIONS.get(str(where), str(where)))
    return "/" + "/".join(parts)


def request_validation_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Every error pydantic found in a request, at once, in Altinn's shape."""
    found = []
    for error in errors:
        code = REQUIRED_CODE if error.get("type") == "missing" else REQUEST_INVALID_CODE
        found.append(
            validation_error(code, str(error.get("msg", "")), [json_path(tuple(error.get("loc", ())))])
        )
    return found


_STATUS_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_TEMPLATE_PARAMETER = re.compile(r"\\{[^/]+?\\}")


def _literal_segments(template: str) -> int:
    return sum(1 for segment in template.split("/") if segment and "{" not in segment)


def allowed_methods(request: Request) -> list[str]:
    """The methods of the request's path, as the app's OpenAPI document gives them.

    As OpenAPI matches URLs, a concrete path (``/vendor/agent``) wins over a templated one
    (``/vendor/{request_id}``) that also fits, and of templates the most concrete. A path the
    document does not describe (a portal page) is asked of the routes, method by method (a
    route matches fully only for a method it serves).
    """
    path = request.scope["path"]
    documented: dict[str, Any] = request.app.openapi().get("paths", {})
    if path in documented:
        return sorted(m.upper() for m in documented[path] if m.upper() in _METHODS)
    fitting = [
        template
        for template in documented
        if "{" in template and re.fullmatch(_TEMPLATE_PARAMETER.sub("[^/]+", re.escape(template)), path)
    ]
    if fitting:
        # The most concrete templates win: those with the most literal segments.
        concrete = max(_literal_segments(t) for t in fitting)
        return sorted(
            {
                method.upper()
                for template in fitting
                if _literal_segments(template) == concrete
                for method in documented[template]
                if method.upper() in _METHODS
            }
        )
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details with Altinn's error code; a validation problem lists "
    "every broken rule in errors, each with its code and the JSON paths of the offending fields.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Altinn's error code, e.g. AUTH-00011 or AUTH.VLD-00001"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "paths"],
                "properties": {
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "paths": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": 'JSON pointers into the body ("/rights/0/resource"), or '
                        '"/$QUERY/<name>" and "/$PATH/<name>" for parameters',
                    },
                },
            },
        },
    },
}
# What any operation of a service may answer, whatever it does: its input refused, no or a
# wrong credential, not found (or hidden), a body too large, over a rate limit, an outage.
COMMON_PROBLEMS = {
    400: "Invalid input: problem+json with Altinn's code; validation problems list every error",
    401: "No valid credential",
    403: "The credential does not allow this",
    404: "Not found (also what other vendors' things look like)",
    413: "The body is too large",
    429: "Too many requests; Retry-After says when to try again",
    503: "A dependency is briefly unavailable; nothing was changed; Retry-After",
}


def document_problems(app: FastAPI, *, skip_tags: tuple[str, ...] = ("ops",)) -> None:
    """Make the app's OpenAPI document say how it refuses: problem+json (schema ``Problem``) for
    the statuses any operation may answer, and no 422, which the handlers above never send
    (a request that fails validation is a 400, as in Altinn).

    Operations tagged with ``skip_tags`` (liveness and readiness) answer in their own shapes.
    """
    build = app.openapi
    ref = {"$ref": "#/components/schemas/Problem"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                responses.pop("422", None)
                if set(operation.get("tags", ())) & set(skip_tags):
                    continue
                for status, description in COMMON_PROBLEMS.items():
                    if status == 413 and "requestBody" not in operation:
                        continue
                    entry = responses.setdefault(str(status), {"description": description})
                    content = entry.setdefault("content", {})
                    if not content or content.get(PROBLEM_JSON) == {}:
                        content[PROBLEM_JSON] = {"schema": ref}
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = request_validation_errors(exc.errors())
        problem = Problem(
            400, "One or more validation errors occurred.", code=REQUEST_INVALID_CODE, errors=errors
        )
        return problem_response(problem, request.url.path)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = _STATUS_TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        response = problem_response(Problem(exc.status_code, title, detail), request.url.path)
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:
            # RFC 9110 requires Allow on a 405. Starlette names only the methods of the first
            # route whose path matched; a path served by several routes allows all of theirs.
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    async def on_outage(request: Request, exc: Exception) -> JSONResponse:
        log.warning("http.dependency_down", path=request.url.path, error=type(exc).__name__)
        problem = Problem(
            503,
            "Service Unavailable",
            "A service this call depends on is briefly unavailable; nothing was changed. Try again.",
            code="UNAVAILABLE",
            headers={"Retry-After": "5"},
        )
        return problem_response(problem, request.url.path)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=request.url.path)
        return problem_response(Problem(500, "Internal Server Error"), request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for outage in (RedisConnectionError, RedisTimeoutError, KafkaConnectionError, KafkaTimeoutError):
        app.add_exception_handler(outage, on_outage)
    app.add_exception_handler(Exception, on_unexpected)

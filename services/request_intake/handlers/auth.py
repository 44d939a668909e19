"""The vendor API's scopes and its answer to a missing or refused token."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.problems import Problem

__all__ = [
    "SCOPE_REGISTER_WRITE",
    "SCOPE_REQUEST_READ",
    "SCOPE_REQUEST_WRITE",
    "document_bearer",
    "unauthorized",
]

SCOPE_REGISTER_WRITE = "altinn:authentication/systemregister.write"
SCOPE_REQUEST_WRITE = "altinn:authentication/systemuser.request.write"
SCOPE_REQUEST_READ = "altinn:authentication/systemuser.request.read"


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, code="AUTH-00023")


BEARER_SCHEME = "maskinporten"


def document_bearer(app: FastAPI, prefixes: tuple[str, ...]) -> None:
    """Say in the OpenAPI document that operations under ``prefixes`` need a bearer token (the
    middleware checks it before anything else); the scope each needs is in the README."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[BEARER_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Maskinporten-shaped token from the identity provider (claim consumer = "
            "0192:<orgno>, space-separated scope)",
        }
        for path, path_item in document.get("paths", {}).items():
            if not path.startswith(prefixes):
                continue
            for operation in path_item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["security"] = [{BEARER_SCHEME: []}]
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]

"""A sample resource API, "Krav og betalinger" (claims and payments), as a service owner runs one.

It does what Altinn asks of an API protected by system users: verify the system-user token
against the issuer's JWKS (signature, ``iss``, ``aud``, ``exp``), then ask the decision point
whether that system user may ``read`` the resource ``ske-krav-og-betalinger`` for the
organisation asked about, and answer 403 with the reason on Deny. The API authenticates itself
to the decision point with its own provider token (scope ``altinn:authorization/authorize``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from shared.jwks import JwksCache, TokenRefused

__all__ = ["AUDIENCE", "RESOURCE", "SKATTEETATEN", "create_app"]

RESOURCE = "urn:altinn:resource:ske-krav-og-betalinger"
AUDIENCE = "https://krav-og-betalinger.example/api"
SKATTEETATEN = "974761076"
"""The service owner, whose provider token the API uses to ask the decision point."""


def _problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:krav:problem:{status}", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def create_app(
    intake: httpx.AsyncClient, *, issuer: str, decision_token: Callable[[], str], audience: str = AUDIENCE
) -> FastAPI:
    """The API; ``intake`` reaches the token issuer's JWKS and the decision point."""
    app = FastAPI(title="Krav og betalinger (sample resource API)")
    jwks = JwksCache(f"{issuer}/jwks", intake)
    app.state.decisions = []

    @app.get("/api/v1/krav")
    async def claims_and_payments(
        request: Request, orgno: Annotated[str, Query(pattern=r"^[0-9]{9}$")]
    ) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _problem(401, "Unauthorized", "A system-user token is required")
        try:
            claims = await jwks.decode(
                token, issuer=issuer, audience=audience, algorithms=("ES256",), leeway=5.0
            )
        except TokenRefused as exc:
            return _problem(401, "Unauthorized", f"The token is not accepted: {exc}")
        asked = await intake.post(
            "/authorization/api/v1/systemuser/decision",
            json={"systemUserToken": token, "resource": RESOURCE, "action": "read", "organisation": orgno},
            headers={"Authorization": f"Bearer {decision_token()}"},
        )
        asked.raise_for_status()
        decision = asked.json()
        app.state.decisions.append(decision)
        if decision["decision"] != "Permit":
            return _problem(403, "Forbidden", decision["reason"], code=decision["code"])
        system_user = claims["authorization_details"][0]
        return JSONResponse(
            {
                "organisation": orgno,
                "systemUser": system_user["systemuser_id"][0],
                "vendor": claims["consumer"]["ID"],
                "krav": [
                    {"id": f"{orgno}-2026-1", "tekst": "Forskuddsskatt 1. termin", "belop": 12500},
                    {"id": f"{orgno}-2026-2", "tekst": "Merverdiavgift 5. termin", "belop": 48210},
                ],
                "grantedBy": decision["grantedBy"],
            }
        )

    return app

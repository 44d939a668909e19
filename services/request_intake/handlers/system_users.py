"""Routes after approval: Maskinporten's lookup, the system-user token endpoint and its keys, and
the decision point.

- ``GET /authentication/api/v1/systemuser/byExternalId``: Maskinporten
  (scope ``altinn:maskinporten/systemuser.read``);
- ``POST /oauth2/token``: a vendor, with its provider token as ``subject_token`` (RFC 8693);
- ``GET /oauth2/jwks`` and ``GET /.well-known/oauth-authorization-server/oauth2``: resource APIs;
- ``POST /authorization/api/v1/systemuser/decision``: a resource API
  (scope ``altinn:authorization/authorize``).

The token endpoint speaks OAuth: its errors are ``application/json`` with ``error`` and
``error_description`` (RFC 6749 section 5.2), not problem documents. The hot routes answer with
ready JSON, without response models, because they sit on every vendor call path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol, Self, runtime_checkable
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

from shared.jwks import TokenRefused
from shared.problems import (
    PROBLEM_JSON,
    REQUEST_INVALID_CODE,
    REQUIRED_CODE,
    Problem,
    json_path,
    validation_error,
)

from ..domain.decisions import Decision
from ..domain.system_users import (
    JWT_TOKEN_TYPE,
    MAX_AUDIENCE_LENGTH,
    MAX_SCOPE_LENGTH,
    MAX_SCOPES,
    MAX_SUBJECT_TOKEN_LENGTH,
    SYSTEMUSER_TYPE,
    TOKEN_EXCHANGE_GRANT,
    TOKEN_TYPES,
    TokenRequestRefused,
    parse_exchange,
)
from ..domain.vendors import Vendor
from ..services.system_users import AccessDecisions, DecisionQuery, SystemUserTokens
from .auth import unauthorized
from .deps import TokenVerifying
from .schemas import system_access_json

__all__ = [
    "DECISION_PREFIX",
    "SCOPE_AUTHORIZE",
    "SCOPE_SYSTEMUSER_LOOKUP",
    "DecisionBody",
    "DecisionView",
    "SystemUserContext",
    "router",
]

DECISION_PREFIX = "/authorization/api/v1"
"""Where the decision point is; its caller's token is checked before its body is read."""
SCOPE_SYSTEMUSER_LOOKUP = "altinn:maskinporten/systemuser.read"
SCOPE_AUTHORIZE = "altinn:authorization/authorize"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": "Problem details", "content": {PROBLEM_JSON: {}}} for code in (400, 401, 403, 404)
}
OAUTH_ERROR = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {
        "error": {
            "type": "string",
            "enum": [
                "invalid_request",
                "invalid_grant",
                "unsupported_grant_type",
                "invalid_scope",
                "invalid_target",
                "invalid_authorization_details",
                "invalid_altinn_customer_configuration",
            ],
        },
        "error_description": {"type": "string"},
    },
}
_SCOPE_TOKEN = rf"[!#-\[\]-~]{{1,{MAX_SCOPE_LENGTH}}}"
AUDIENCE = {"type": "string", "maxLength": MAX_AUDIENCE_LENGTH, "pattern": "^[!-~]([ -~]*[!-~])?$"}
TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type", "subject_token", "subject_token_type", "authorization_details"],
    "properties": {
        "grant_type": {"type": "string", "enum": [TOKEN_EXCHANGE_GRANT]},
        "subject_token": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_SUBJECT_TOKEN_LENGTH,
            "description": "The vendor's token from the provider",
        },
        "subject_token_type": {"type": "string", "enum": list(TOKEN_TYPES)},
        "requested_token_type": {"type": "string", "enum": list(TOKEN_TYPES)},
        "authorization_details": {
            "type": "string",
            "minLength": 1,
            "contentMediaType": "application/json",
            "description": 'JSON: [{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": '
            '"iso6523-actorid-upis", "ID": "0192:<orgno>"}, "externalRef": "..."}]',
        },
        "scope": {
            "type": "string",
            # RFC 6749 3.3 scope tokens, separated by single spaces
            "pattern": f"^{_SCOPE_TOKEN}( {_SCOPE_TOKEN}){{0,{MAX_SCOPES - 1}}}$",
            "description": "Space-separated; each held by the subject token",
        },
        "audience": {**AUDIENCE, "description": "The aud of the issued token"},
        "resource": {**AUDIENCE, "description": "Same as audience"},
    },
}


@runtime_checkable
class SystemUserContext(Protocol):
    """What these routes take from the service's Context; ``factory.Context`` provides it."""

    @property
    def system_user_tokens(self) -> SystemUserTokens: ...

    @property
    def decisions(self) -> AccessDecisions: ...

    @property
    def tokens(self) -> TokenVerifying: ...


def _context_of(request: Request) -> SystemUserContext:
    state = request.app.state
    context: SystemUserContext | None = getattr(state, "system_user_context", None)
    if context is None:
        # Checked once per app: a runtime Protocol check costs more than the rest of a lookup.
        found = state.handler_context
        if not isinstance(found, SystemUserContext):
            raise TypeError("the service's Context has no system-user use cases")
        state.system_user_context = context = found
    return context


async def _context(request: Request) -> SystemUserContext:
    # async: FastAPI runs a plain function dependency in its thread pool, on every request.
    return _context_of(request)


ContextDep = Annotated[SystemUserContext, Depends(_context)]


def _holding(scope: str) -> Callable[[Request], Awaitable[Vendor]]:
    """A dependency: the caller its provider token proves, who must hold ``scope`` (as the
    vendor API's, without its thread-pool hop and per-request Protocol check)."""

    async def caller(request: Request) -> Vendor:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("A bearer token is required")
        try:
            found = await _context_of(request).tokens.verify(token.strip())
        except TokenRefused as exc:
            raise unauthorized(f"Invalid token: {exc}") from exc
        if scope not in found.scopes:
            raise Problem(403, "Forbidden", f"The token lacks the scope {scope}")
        return found

    return caller


ResourceApi = Annotated[Vendor, Depends(_holding(SCOPE_AUTHORIZE))]

router = APIRouter(tags=["systemusers"])


_ORG_NO = re.compile(r"[0-9]{9}")
_LOOKUP_CALLER = _holding(SCOPE_SYSTEMUSER_LOOKUP)


def _parameter(
    name: str, schema: dict[str, Any], description: str, *, required: bool = True
) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


LOOKUP_PARAMETERS = [
    _parameter(
        "clientId",
        {"type": "string", "minLength": 1, "maxLength": 255},
        "The Maskinporten client id (a system lists it in clientId)",
    ),
    _parameter("systemProviderOrgNo", {"type": "string", "pattern": "^[0-9]{9}$"}, "The vendor"),
    _parameter(
        "systemUserOwnerOrgNo", {"type": "string", "pattern": "^[0-9]{9}$"}, "The system user's owner"
    ),
    _parameter(
        "externalRef",
        {"type": "string", "maxLength": 255},
        "The vendor's reference of the request; default: systemUserOwnerOrgNo",
        required=False,
    ),
]


def _lookup_query(request: Request) -> tuple[str, str, str, str | None]:
    """The lookup's query, checked by hand: FastAPI's parameter machinery costs more than the lookup."""
    query = request.query_params
    errors: list[dict[str, object]] = []

    def value(name: str, *, pattern: re.Pattern[str] | None = None, required: bool = True) -> str | None:
        found = query.get(name)
        path = [json_path(("query", name))]
        if found is None or found == "":
            if required:
                errors.append(validation_error(REQUIRED_CODE, "Field required", path))
            return None
        if len(found) > 255 or (pattern is not None and not pattern.fullmatch(found)):
            errors.append(validation_error(REQUEST_INVALID_CODE, "Invalid value", path))
        return found

    client_id = value("clientId")
    provider_org = value("systemProviderOrgNo", pattern=_ORG_NO)
    owner_org = value("systemUserOwnerOrgNo", pattern=_ORG_NO)
    external_ref = value("externalRef", required=False)
    if errors or client_id is None or provider_org is None or owner_org is None:
        raise Problem(
            400, "One or more validation errors occurred.", code=REQUEST_INVALID_CODE, errors=errors
        )
    return client_id, provider_org, owner_org, external_ref


@router.get(
    "/authentication/api/v1/systemuser/byExternalId",
    responses=PROBLEMS,
    openapi_extra={"parameters": LOOKUP_PARAMETERS},
)
async def system_user_by_external_id(request: Request) -> JSONResponse:
    """Maskinporten's lookup before it issues a system-user token (scope
    ``altinn:maskinporten/systemuser.read``): the live system user of ``systemUserOwnerOrgNo`` on
    the provider's system whose ``clientId`` lists ``clientId``, under ``externalRef`` (default:
    the owner's organisation number). 404 ``AUTH-00015`` when none."""
    await _LOOKUP_CALLER(request)
    client_id, provider_org, owner_org, external_ref = _lookup_query(request)
    found = await _context_of(request).system_user_tokens.by_external_id(
        client_id, provider_org, owner_org, external_ref
    )
    body = system_access_json(found)
    body["productName"] = found.access.system_id  # as Altinn, until Maskinporten changes
    return JSONResponse(body, headers=NO_STORE)


def _oauth_error(refused: TokenRequestRefused) -> JSONResponse:
    return JSONResponse(
        {"error": refused.error, "error_description": refused.description}, status_code=400, headers=NO_STORE
    )


@router.post(
    "/oauth2/token",
    openapi_extra={"requestBody": {"required": True, "content": {FORM: {"schema": TOKEN_FORM}}}},
    responses={
        200: {
            "description": "A system-user token (RFC 8693 section 2.2.1)",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "access_token": {"type": "string"},
                            "issued_token_type": {"type": "string"},
                            "token_type": {"type": "string", "enum": ["Bearer"]},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                        },
                    }
                }
            },
        },
        400: {
            "description": "OAuth 2.0 error (RFC 6749 5.2)",
            "content": {"application/json": {"schema": OAUTH_ERROR}},
        },
    },
)
async def system_user_token(request: Request) -> JSONResponse:
    """Exchange the vendor's provider token for a token of one customer's system user (OAuth 2.0
    Token Exchange, RFC 8693, with RFC 9396 ``authorization_details``). No active system user:
    400 ``invalid_altinn_customer_configuration`` (Maskinporten's MP-303) and no token."""
    context = _context_of(request)  # no dependencies: this route is on every vendor call path
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM:
        return _oauth_error(TokenRequestRefused("invalid_request", f"the body must be {FORM}"))
    try:
        form = parse_qs((await request.body()).decode(), keep_blank_values=True, strict_parsing=False)
        exchange = parse_exchange(form)
        try:
            vendor = await context.tokens.verify(exchange.subject_token)
        except TokenRefused as exc:
            raise TokenRequestRefused("invalid_grant", f"the subject token is not accepted: {exc}") from exc
        issued = await context.system_user_tokens.exchange(vendor, exchange)
    except UnicodeDecodeError:
        return _oauth_error(TokenRequestRefused("invalid_request", "the body is not UTF-8"))
    except TokenRequestRefused as refused:
        return _oauth_error(refused)
    body: dict[str, object] = {
        "access_token": issued.access_token,
        "issued_token_type": issued.token_type,
        "token_type": "Bearer" if issued.token_type != JWT_TOKEN_TYPE else "N_A",
        "expires_in": issued.expires_in,
        "scope": " ".join(issued.scopes),
    }
    return JSONResponse(body, headers=NO_STORE)


@router.get("/oauth2/jwks")
async def system_user_jwks(context: ContextDep) -> JSONResponse:
    """The public keys of system-user tokens (ES256), every key of a rotation included."""
    return JSONResponse(context.system_user_tokens.jwks(), headers={"Cache-Control": "public, max-age=60"})


@router.get("/.well-known/oauth-authorization-server/oauth2")
async def system_user_issuer_metadata(context: ContextDep, request: Request) -> dict[str, object]:
    """RFC 8414 metadata of the system-user token issuer."""
    issuer = context.system_user_tokens.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "grant_types_supported": [TOKEN_EXCHANGE_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_details_types_supported": [SYSTEMUSER_TYPE],
        "id_token_signing_alg_values_supported": [],
        "token_endpoint_auth_signing_alg_values_supported": [],
    }


Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class DecisionBody(BaseModel):
    """Who (a system-user token, or its id), what (resource and action) and for whom (organisation)."""

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        # Exactly one of the two names the system user (the validator below): stated here too.
        json_schema_extra={
            "oneOf": [
                {"required": ["systemUserToken"], "properties": {"systemUserToken": {"type": "string"}}},
                {"required": ["systemUserId"], "properties": {"systemUserId": {"type": "string"}}},
            ]
        },
    )

    system_user_token: Annotated[str, StringConstraints(min_length=1, max_length=8192)] | None = Field(
        default=None, description="A system-user token from /oauth2/token (verified here)"
    )
    system_user_id: (
        Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
        | None
    ) = Field(default=None, description="Or the system user's id")
    resource: Text = Field(description="A resource id, or urn:altinn:resource:<id>")
    action: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="read, write, sign or access"
    )
    organisation: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")] = Field(
        description="The organisation acted for: the party, or for a client system user the client"
    )

    @model_validator(mode="after")
    def _one_system_user(self) -> Self:
        if (self.system_user_token is None) == (self.system_user_id is None):
            raise ValueError("give exactly one of systemUserToken and systemUserId")
        return self


class DecisionView(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    decision: str = Field(description="Permit or Deny")
    code: str = Field(description="Why, for programs (see the README)")
    reason: str = Field(description="Why, for people")
    system_user_id: str | None
    resource: str
    action: str
    organisation: str
    granted_by: str | None = Field(description="The right or package that permits it")
    notes: list[str] = Field(description="Packages whose contents are unknown (treated as empty)")

    @classmethod
    def of(cls, decision: Decision, body: DecisionBody) -> DecisionView:
        return cls(
            decision=decision.verdict.value,
            code=decision.code,
            reason=decision.reason,
            system_user_id=decision.system_user_id or body.system_user_id,
            resource=body.resource,
            action=body.action,
            organisation=body.organisation,
            granted_by=decision.granted_by,
            notes=list(decision.notes),
        )


@router.post(
    f"{DECISION_PREFIX}/systemuser/decision",
    response_model=DecisionView,
    response_model_by_alias=True,
    responses={code: PROBLEMS[code] for code in (400, 401, 403)},
    tags=["authorization"],
)
async def system_user_decision(body: DecisionBody, _caller: ResourceApi, context: ContextDep) -> DecisionView:
    """Permit or Deny, with the reason: may this system user do ``action`` on ``resource`` for
    ``organisation``? Always 200 for a well-formed question; an invalid or expired token is a Deny."""
    query = DecisionQuery(
        resource=body.resource,
        action=body.action,
        organisation=body.organisation,
        token=body.system_user_token,
        system_user_id=body.system_user_id,
    )
    return DecisionView.of(await context.decisions.decide(query), body)

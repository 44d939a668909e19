"""Schemathesis hooks for ``st run`` in tests/fault/test_fuzz.py (loaded with SCHEMATHESIS_HOOKS).

The fuzz tests drive the real ``st run`` command line, as a vendor trying the API would, with
all of its checks. These hooks add what a command line cannot know: credentials that renew
(vendor tokens live 120 s), and the project's own checks:

- every 4xx is problem+json whose ``status`` is the response's, with a title;
- a 400 for input the schema allows must come from a business rule (codes listed below with
  why the schema cannot express them), never from request validation: that would mean the
  OpenAPI document promises something the code refuses;
- a refused call writes nothing (state keys and outbox of the service, counted in Redis).

Configured by environment variables the test sets: FUZZ_TARGET (intake|portal),
FUZZ_OIDC_URL (intake: where vendor tokens come from), FUZZ_REDIS_URL and FUZZ_PREFIX (the
service's Redis and key prefix), FUZZ_PORTAL_URL (portal: where to log in).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from sysaccess.portal_login import portal_login
from sysaccess.vendor_tokens import ALL_SCOPES, VendorTokens
from tests.fault.state_probe import StateProbe

TARGET = os.environ.get("FUZZ_TARGET", "intake")

# Problem codes that refuse schema-valid input for reasons no JSON schema can state: they
# depend on stored state, on who calls, on seed data, or on arithmetic over a value.
BUSINESS_RULE_CODES = {
    "AUTH-00000": "partyOrgNo fails the MOD11 check digit or is not a registered organisation",
    "AUTH-00001": "requested rights are not rights of the (stored) system",
    "AUTH-00004": "a system user already exists for the natural key",
    "AUTH-00021": "redirectUrl does not match one of the system's registered URLs",
    "AUTH-00026": "the system has no registered redirect URLs",
    "AUTH-00058": "an agent request without access packages (null/empty lists are allowed shapes)",
    "AUTH-00059": "neither rights nor access packages requested",
    "AUTH-00063": "requested packages are not packages of the system, or unknown",
    "AUTH-00064": "a client package requested for the party itself",
    "AUTH-00065": "a non-client package requested for clients",
    "AUTH.VLD-00000": "vendor.ID fails the MOD11 check digit",
    "AUTH.VLD-00001": "the system id must start with the calling vendor's organisation number",
    "AUTH.VLD-00002": "the system id is taken",
    "AUTH.VLD-00003": "a right names a resource that is not in the resource registry",
    "AUTH.VLD-00004": "a clientId is used by another system",
    "AUTH.VLD-00005": "a redirect or webhook URL that is not an https URL to a public host",
    "AUTH.VLD-00006": "duplicate rights (objects compared by the resource they name)",
    "AUTH.VLD-00007": "duplicate access packages",
    "AUTH.VLD-00008": "an access package that is not in the package catalogue",
    "AUTH.VLD-00009": "a right that does not name exactly one urn:altinn:resource",
    "AUTH.VLD-00010": "a system name that is blank in every language",
    "AUTH.VLD-00011": "duplicate client ids",
    "AUTH.VLD-00012": "the id in the URL and in the body differ",
    "AUTH.VLD-00018": "a visible system with client packages",
    "AUTH.VLD-TOKEN": "a well-formed continuation token that this service did not issue",
}
# OAuth errors (RFC 6749 5.2, RFC 8693, RFC 9396) of the token endpoint that depend on more
# than the form's shape: the subject token, the system users that exist, the JSON inside
# authorization_details, the scopes the subject token holds. invalid_request and
# unsupported_grant_type are about the form's shape, which the document states.
BUSINESS_OAUTH_ERRORS = {
    "invalid_grant",
    "invalid_scope",
    "invalid_target",
    "invalid_authorization_details",
    "invalid_altinn_customer_configuration",
}
# The code of a request the schema should have refused itself (shared.problems).
SCHEMA_REFUSAL_CODE = "AUTH.VLD-BODY"

_tokens = VendorTokens(os.environ["FUZZ_OIDC_URL"]) if os.environ.get("FUZZ_OIDC_URL") else None
_PORTAL_URL = os.environ.get("FUZZ_PORTAL_URL")
_PORTAL_PERSON = "12887010186"


def _portal_session() -> dict[str, str]:
    """A fresh portal session: a generated POST .../logout ends the one before."""
    if _PORTAL_URL is None:
        return {}

    async def login() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=_PORTAL_URL) as client:
            csrf = await portal_login(client, _PORTAL_PERSON)
            return {
                "X-CSRF-Token": csrf,
                "Cookie": f"sysaccess_session={client.cookies['sysaccess_session']}",
            }

    return asyncio.run(login())


# The vendor's scopes, Maskinporten's lookup scope and the resource API's decision scope: every
# operation is tried as its rightful caller.
INTAKE_SCOPES = [
    *ALL_SCOPES,
    "altinn:maskinporten/systemuser.read",
    "altinn:authorization/authorize",
]
# OAuth 2.0 endpoints answer errors as RFC 6749 5.2 JSON ({"error": ...}), not problem+json.
OAUTH_PATHS = ("/oauth2/",)


@schemathesis.auth(refresh_interval=5)
class Credentials:
    """A vendor token for the intake (renewed), a portal session (a new one every few seconds,
    since the generated logout calls end sessions; calls in between may get 401, documented)."""

    def get(self, case: Any, ctx: Any) -> dict[str, str]:
        if _tokens is not None:
            return {"Authorization": f"Bearer {_tokens.get(scopes=INTAKE_SCOPES)}"}
        return _portal_session()

    def set(self, case: Any, data: dict[str, str], ctx: Any) -> None:
        case.headers = {**(case.headers or {}), **data}


_probe = (
    StateProbe(os.environ["FUZZ_REDIS_URL"], os.environ["FUZZ_PREFIX"])
    if "FUZZ_PREFIX" in os.environ
    else None
)
_before: list[tuple[int, int]] = []


# Generated ids are almost never ids the service holds, so a GET, PUT or DELETE of a resource
# would only ever meet its 404. Half the generated path parameters of such an operation name
# what the service really holds (read from its Redis: the seeded systems, requests and
# accesses it has, change requests) and Tiger, the cast's party, so the rules behind the 404
# are fuzzed too, with both the vendor's and the access manager's rights.
REAL_ID_KEYS = {
    "system_id": "system",
    "request_id": "request",
    "change_request_id": "changerequest",
    "system_user_id": "access",
    "access_id": "access",
}
TIGER = "310614289"
PARTY_PARAMETERS = ("party_id", "org_no")
_known: dict[str, tuple[float, list[str]]] = {}


def _known_ids(kind: str) -> list[str]:
    """Up to 20 ids of this kind the service holds now (looked up at most once a second)."""
    if _probe is None:
        return []
    found_at, ids = _known.get(kind, (0.0, []))
    if time.monotonic() - found_at > 1.0:
        pattern = f"{_probe.prefix}:{kind}:*"
        ids = sorted(str(key).rsplit(":", 1)[1] for key in _probe.redis.scan_iter(match=pattern, count=1000))[
            :20
        ]
        _known[kind] = (time.monotonic(), ids)
    return ids


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters or not any(name in REAL_ID_KEYS for name in path_parameters):
        return st.just(path_parameters)
    real: dict[str, Any] = {}
    for name, value in path_parameters.items():
        ids = _known_ids(REAL_ID_KEYS[name]) if name in REAL_ID_KEYS else []
        if ids:
            real[name] = st.sampled_from(ids)
        elif name in PARTY_PARAMETERS:
            real[name] = st.just(TIGER)
        else:
            real[name] = st.just(value)
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(real))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    if _probe is not None:
        _before[:] = [_probe.snapshot()]


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type", [""])
    return str(value[0] if isinstance(value, list) else value)


@schemathesis.check
def refusals_are_problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is problem+json with the response's status and a title."""
    if not 400 <= response.status_code < 500 or case.path.startswith(OAUTH_PATHS):
        return None
    assert _content_type(response).startswith("application/problem+json"), "a 4xx that is not problem+json"
    body = response.json()
    assert body.get("status") == response.status_code, "problem status differs from the HTTP status"
    assert body.get("title"), "a problem without a title"
    for error in body.get("errors", []):
        assert error.get("code"), f"an errors entry without a code: {error}"
        assert isinstance(error.get("paths"), list), f"an errors entry without paths: {error}"
    return None


@schemathesis.check
def schema_valid_input_is_not_refused_as_invalid(ctx: Any, response: Any, case: Any) -> bool | None:
    """Stands in for positive_data_acceptance (see test_fuzz.py): input the schema allows may be
    refused by a business rule, never by the request's own validation."""
    meta = case.meta
    if (
        meta is None
        or meta.generation.mode != GenerationMode.POSITIVE
        or response.status_code not in (400, 422)
    ):
        return None
    body = response.json()
    if case.path.startswith(OAUTH_PATHS):
        error = body.get("error")
        assert error in BUSINESS_OAUTH_ERRORS, (
            f"schema-valid form refused with {error}: {response.text[:500]}"
        )
        return None
    code = body.get("code")
    assert code != SCHEMA_REFUSAL_CODE, f"schema-valid input refused by validation: {response.text[:500]}"
    if TARGET == "intake":
        assert code in BUSINESS_RULE_CODES, f"schema-valid input refused with {code}: {response.text[:500]}"
    return None


@schemathesis.check
def refused_calls_write_nothing(ctx: Any, response: Any, case: Any) -> bool | None:
    if not 400 <= response.status_code < 500 or _probe is None:
        return None
    assert _before, "the before_call hook never ran, so nothing was counted"
    assert _probe.snapshot() == _before[0], "a refused call changed state"
    return None


@schemathesis.check
def allow_names_the_documented_methods(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 405's Allow lists the methods the document gives the URL (schemathesis checks only that
    the header is there, and an empty one passes). A URL can fit more than one path template
    (``/vendor/agent`` and ``/vendor/{request_id}``); the methods of all of them count."""
    if response.status_code != 405:
        return None
    values = response.headers.get("allow") or [""]
    allowed = {m.strip().upper() for m in ", ".join(values).split(",") if m.strip()}
    path = urlsplit(response.request.url).path
    documented = {
        method.upper()
        for template, item in case.operation.schema.raw_schema["paths"].items()
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path)
        for method in item
        if method.lower() in _HTTP_METHODS
    }
    own = {
        m.upper()
        for m in case.operation.schema.raw_schema["paths"][case.operation.path]
        if m in _HTTP_METHODS
    }
    assert own <= allowed <= documented, f"Allow: {sorted(allowed)}, documented: {sorted(documented)}"
    return None


_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

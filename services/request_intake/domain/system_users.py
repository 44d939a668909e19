"""System-user tokens: what a vendor asks for, how its system user is found, what the token says.

A vendor holding its own provider token (Maskinporten's stand-in) exchanges it for a short-lived
token of one customer's system user (OAuth 2.0 Token Exchange, RFC 8693). It names the customer
as Maskinporten does: ``authorization_details`` (RFC 9396) of type ``urn:altinn:systemuser`` with
``systemuser_org`` and, when the request had one, ``externalRef``. As in Maskinporten, the
system is not named: it is the vendor's system whose ``clientId`` lists the token's client id.

These rules are pure; ``services.system_users`` fetches what they need and signs what they return.
Refusals are OAuth error responses (RFC 6749 section 5.2), not problem documents: the token
endpoint speaks OAuth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .accesses import SystemAccess
from .references import vendor_org_from_id
from .systems import RegisteredSystem
from .vendors import MASKINPORTEN_AUTHORITY, Vendor

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "JWT_TOKEN_TYPE",
    "MP_303",
    "SYSTEMUSER_TYPE",
    "TOKEN_EXCHANGE_GRANT",
    "ExchangeRequest",
    "SystemUserAsk",
    "SystemUserClaims",
    "SystemUserTokenInvalid",
    "TokenRequestRefused",
    "granted_scopes",
    "no_registered_system",
    "no_system_user",
    "parse_authorization_details",
    "parse_exchange",
    "system_user_claims",
    "system_user_of",
    "systems_for_client",
]

SYSTEMUSER_TYPE = "urn:altinn:systemuser"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
TOKEN_TYPES = (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE)
MP_303 = "invalid_altinn_customer_configuration"
"""Maskinporten's error for a token request Altinn finds no system user for (MP-303)."""

MAX_EXTERNAL_REF = 255
MAX_SCOPES = 20
MAX_SCOPE_LENGTH = 200
MAX_AUDIENCE_LENGTH = 255
MAX_SUBJECT_TOKEN_LENGTH = 8192
_PARAMETERS = (
    "grant_type",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "authorization_details",
    "scope",
    "audience",
    "resource",
    "actor_token",
    "actor_token_type",
    "client_id",
)


class TokenRequestRefused(Exception):
    """An OAuth 2.0 error response: ``error`` (a registered code) and ``error_description``.

    Raised by the rules and the use cases; nothing was issued.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class SystemUserTokenInvalid(Exception):
    """A system-user token this service did not sign, or no longer accepts (expired, wrong issuer)."""


def _invalid_request(description: str) -> TokenRequestRefused:
    return TokenRequestRefused("invalid_request", description)


def _invalid_details(description: str) -> TokenRequestRefused:
    return TokenRequestRefused("invalid_authorization_details", description)


@dataclass(frozen=True, slots=True)
class SystemUserAsk:
    """The customer a token is asked for: the system user's owner and the vendor's reference."""

    org_no: str
    external_ref: str


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    """A token-exchange request, its form checked."""

    subject_token: str
    requested_token_type: str
    ask: SystemUserAsk
    scopes: tuple[str, ...] | None
    """None: the subject token's scopes."""
    audience: str | None


def _printable(value: str) -> bool:
    return value.isprintable() and value == value.strip()


def parse_authorization_details(text: str) -> SystemUserAsk:
    """The one ``urn:altinn:systemuser`` entry of ``authorization_details`` (a JSON array)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise _invalid_details("authorization_details must be a JSON array") from exc
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        raise _invalid_details(
            f"authorization_details must hold exactly one object of type {SYSTEMUSER_TYPE}"
        )
    entry: dict[str, object] = value[0]
    if entry.get("type") != SYSTEMUSER_TYPE:
        raise _invalid_details(f"authorization_details[0].type must be {SYSTEMUSER_TYPE}")
    org = entry.get("systemuser_org")
    if not isinstance(org, dict) or org.get("authority") != MASKINPORTEN_AUTHORITY:
        raise _invalid_details(
            f"systemuser_org must be {{authority: {MASKINPORTEN_AUTHORITY}, ID: 0192:<orgno>}}"
        )
    party_id = org.get("ID", org.get("id"))
    org_no = vendor_org_from_id(party_id) if isinstance(party_id, str) else None
    if org_no is None:
        raise _invalid_details("systemuser_org.ID must be '0192:' and a valid organisation number")
    external_ref = entry.get("externalRef")
    if external_ref is None or external_ref == "":
        # As Altinn: a request without externalRef was stored under the party's org number.
        return SystemUserAsk(org_no, org_no)
    if not isinstance(external_ref, str) or len(external_ref) > MAX_EXTERNAL_REF:
        raise _invalid_details(f"externalRef must be a string of at most {MAX_EXTERNAL_REF} characters")
    # Altinn trims the strings of a request, so a stored externalRef has no outer whitespace.
    return SystemUserAsk(org_no, external_ref.strip() or org_no)


def _one(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise _invalid_request(f"{name} is given more than once")
    return values[0]


def _required(form: Mapping[str, Sequence[str]], name: str) -> str:
    value = _one(form, name)
    if not value:
        raise _invalid_request(f"{name} is required")
    return value


def _scopes(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    scopes = tuple(dict.fromkeys(text.split(" ")))
    if (
        not scopes
        or len(scopes) > MAX_SCOPES
        or any(not s or len(s) > MAX_SCOPE_LENGTH or not _printable(s) for s in scopes)
    ):
        raise TokenRequestRefused(
            "invalid_scope", f"scope must be up to {MAX_SCOPES} scopes separated by single spaces"
        )
    return scopes


def _audience(form: Mapping[str, Sequence[str]]) -> str | None:
    audience, resource = _one(form, "audience"), _one(form, "resource")
    if audience and resource and audience != resource:
        raise TokenRequestRefused("invalid_target", "audience and resource name different targets")
    target = audience or resource
    if target is not None and (len(target) > MAX_AUDIENCE_LENGTH or not target or not _printable(target)):
        raise TokenRequestRefused(
            "invalid_target", f"the audience must be 1 to {MAX_AUDIENCE_LENGTH} characters"
        )
    return target or None


def parse_exchange(form: Mapping[str, Sequence[str]]) -> ExchangeRequest:
    """Check a token request's form (RFC 8693 section 2.1); refuse it as OAuth does."""
    for name in _PARAMETERS:
        _one(form, name)  # every parameter at most once (RFC 6749 section 3.2)
    grant_type = _required(form, "grant_type")
    if grant_type != TOKEN_EXCHANGE_GRANT:
        raise TokenRequestRefused("unsupported_grant_type", f"grant_type must be {TOKEN_EXCHANGE_GRANT}")
    if _one(form, "actor_token") is not None:
        raise _invalid_request("actor_token (delegation) is not supported")
    subject_token = _required(form, "subject_token")
    if len(subject_token) > MAX_SUBJECT_TOKEN_LENGTH:
        raise _invalid_request("subject_token is too long")
    if _required(form, "subject_token_type") not in TOKEN_TYPES:
        raise _invalid_request(f"subject_token_type must be one of {', '.join(TOKEN_TYPES)}")
    requested = _one(form, "requested_token_type") or ACCESS_TOKEN_TYPE
    if requested not in TOKEN_TYPES:
        raise _invalid_request(f"requested_token_type must be one of {', '.join(TOKEN_TYPES)}")
    ask = parse_authorization_details(_required(form, "authorization_details"))
    return ExchangeRequest(
        subject_token=subject_token,
        requested_token_type=requested,
        ask=ask,
        scopes=_scopes(_one(form, "scope")),
        audience=_audience(form),
    )


def systems_for_client(
    systems: Iterable[RegisteredSystem], vendor_org: str, client_id: str
) -> list[RegisteredSystem]:
    """The vendor's live systems that list ``client_id`` (Altinn: ``@client_id = ANY(sr.client_id)``)."""
    return [
        s
        for s in systems
        if not s.is_deleted and s.vendor_org_no == vendor_org and client_id in s.spec.client_id
    ]


def no_registered_system(client_id: str, vendor_org: str) -> TokenRequestRefused:
    return TokenRequestRefused(
        MP_303,
        f"No system of vendor {vendor_org} in the system register lists the client id {client_id!r} "
        "in its clientId (MP-303)",
    )


def no_system_user(ask: SystemUserAsk, systems: Sequence[RegisteredSystem]) -> TokenRequestRefused:
    names = ", ".join(s.id for s in systems)
    return TokenRequestRefused(
        MP_303,
        f"No active system user for system {names}, organisation {ask.org_no} and externalRef "
        f"{ask.external_ref!r}: none was approved, or it was deleted. A client system user is "
        "asked for with the facilitator's organisation (MP-303)",
    )


def granted_scopes(requested: tuple[str, ...] | None, held: frozenset[str]) -> tuple[str, ...]:
    """The scopes of the issued token: those asked for, each held by the subject token."""
    if requested is None:
        return tuple(sorted(held))
    missing = [s for s in requested if s not in held]
    if missing:
        raise TokenRequestRefused(
            "invalid_scope", f"The subject token does not carry the scope(s): {' '.join(missing)}"
        )
    return requested


def system_user_claims(
    access: SystemAccess,
    vendor: Vendor,
    *,
    scopes: Sequence[str],
    audience: str | None,
    issuer: str,
    issued_at: int,
    lifetime_seconds: int,
    jti: str,
) -> dict[str, object]:
    """The claims of a system-user token, shaped like Maskinporten's."""
    claims: dict[str, object] = {
        "iss": issuer,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime_seconds,
        "jti": jti,
        "token_type": "Bearer",
        "client_id": vendor.client_id,
        "consumer": {"authority": MASKINPORTEN_AUTHORITY, "ID": f"0192:{vendor.org_no}"},
        "scope": " ".join(scopes),
        "authorization_details": [
            {
                "type": SYSTEMUSER_TYPE,
                "systemuser_org": {"authority": MASKINPORTEN_AUTHORITY, "ID": f"0192:{access.party_org_no}"},
                "systemuser_id": [access.id],
                "system_id": access.system_id,
                "externalRef": access.external_ref,
            }
        ],
    }
    if audience is not None:
        claims["aud"] = audience
    return claims


@dataclass(frozen=True, slots=True)
class SystemUserClaims:
    """Whom a verified system-user token names."""

    system_user_id: str
    org_no: str
    system_id: str


def system_user_of(claims: Mapping[str, object]) -> SystemUserClaims | None:
    """The system user of a verified token's ``authorization_details``; None when it names none."""
    details = claims.get("authorization_details")
    if not isinstance(details, list):
        return None
    for entry in details:
        if not isinstance(entry, dict) or entry.get("type") != SYSTEMUSER_TYPE:
            continue
        ids, org, system_id = entry.get("systemuser_id"), entry.get("systemuser_org"), entry.get("system_id")
        org_no = vendor_org_from_id(str(org.get("ID", ""))) if isinstance(org, dict) else None
        if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], str) and org_no:
            return SystemUserClaims(ids[0], org_no, str(system_id))
    return None

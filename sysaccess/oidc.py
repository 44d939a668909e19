"""The local OpenID Connect provider's configuration, and clients of it for tools and tests.

The provider is NAV's ``mock-oauth2-server`` (started by :mod:`sysaccess.infra`). It serves
any number of issuers, each under its own path; this project uses two:

``idporten`` (people)
    Authorization code flow with PKCE through the provider's own login form
    (``interactiveLogin``). The username typed in the form is the person's pid: an
    11-digit username gets an ID token with ``sub`` = ``pid`` = the username and
    ``acr`` = ``idporten-loa-substantial``; these claims cannot be overridden from the
    form's claims box. Any other username (say ``low-acr``) gets ``sub`` = the username and
    nothing else from the provider, so the claims box decides ``pid`` and ``acr``: that is
    how a test obtains a token with too low an ``acr``.

``maskinporten`` (vendors)
    Client credentials. The client id *is* the vendor's organisation number (nine digits);
    the access token carries ``consumer`` = ``{"authority": "iso6523-actorid-upis",
    "ID": "0192:<client_id>"}``, ``client_id``, ``scope`` (the requested scopes, space
    separated) and ``aud`` = :data:`VENDOR_AUDIENCE`, or the ``resource`` parameter when
    the request names one (as Maskinporten's audience-restricted tokens do). The client may
    authenticate with a secret (any value: the mock checks none), with a JWT client
    assertion (``private_key_jwt``), or use the JWT grant (``jwt-bearer`` with an
    ``assertion``) as Maskinporten does; the mock verifies no signature on either JWT.
    A client id that is not nine digits gets a token with no ``consumer``, ``scope`` or
    ``aud``, which the intake refuses.

The signing key of each issuer is generated at provider start (never the public keys bundled
in the jar); its ``kid`` is always the issuer id (``idporten`` / ``maskinporten``), a
choice the mock makes and offers no setting for. Restarting the provider is how its keys are
rotated: the JWKS then holds a new key under the same ``kid``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

IDPORTEN = "idporten"
MASKINPORTEN = "maskinporten"
ACR_SUBSTANTIAL = "idporten-loa-substantial"
ACR_HIGH = "idporten-loa-high"
# The ``aud`` of vendor tokens unless the request names a ``resource``.
VENDOR_AUDIENCE = "sysaccess-intake"
# Seconds a token lives: Maskinporten's own default is 120 s; ID-porten's ID tokens live longer.
MASKINPORTEN_TOKEN_SECONDS = 120
IDPORTEN_TOKEN_SECONDS = 600

PID_PATTERN = "[0-9]{11}"
ORG_NO_PATTERN = "[0-9]{9}"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _vendor_claims(audience: str) -> dict[str, Any]:
    return {
        "aud": audience,
        "client_id": "${client_id}",
        "scope": "${scope}",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:${client_id}"},
    }


def provider_config() -> dict[str, Any]:
    """The JSON configuration (``JSON_CONFIG``) of mock-oauth2-server for both issuers."""
    return {
        "interactiveLogin": True,
        "httpServer": "NettyWrapper",
        # A key provider without initialKeys generates a fresh RSA key per issuer at start,
        # instead of using the well-known keys bundled in the jar.
        "tokenProvider": {"keyProvider": {"algorithm": "RS256"}},
        "tokenCallbacks": [
            {
                "issuerId": IDPORTEN,
                "tokenExpiry": IDPORTEN_TOKEN_SECONDS,
                "requestMappings": [
                    {
                        "requestParam": "subject",
                        "match": PID_PATTERN,
                        "claims": {
                            "sub": "${subject}",
                            "pid": "${subject}",
                            "acr": ACR_SUBSTANTIAL,
                            "amr": ["TestID"],
                        },
                    },
                    {"requestParam": "subject", "match": "*", "claims": {"sub": "${subject}"}},
                ],
            },
            {
                "issuerId": MASKINPORTEN,
                "tokenExpiry": MASKINPORTEN_TOKEN_SECONDS,
                "requestMappings": [
                    {"requestParam": "resource", "match": "*", "claims": _vendor_claims("${resource}")},
                    {
                        "requestParam": "client_id",
                        "match": ORG_NO_PATTERN,
                        "claims": _vendor_claims(VENDOR_AUDIENCE),
                    },
                ],
            },
        ],
    }


class ProviderError(RuntimeError):
    """The provider refused a request or answered something unexpected."""


def _token_from(response: httpx.Response, field: str) -> str:
    if response.status_code != 200:
        raise ProviderError(f"token request refused: {response.status_code} {response.text[:300]}")
    value = response.json().get(field)
    if not isinstance(value, str):
        raise ProviderError(f"no {field} in the token response: {response.text[:300]}")
    return value


def _throwaway_assertion(issuer: str, claims: dict[str, Any]) -> str:
    """A JWT signed with a fresh key: the mock reads assertions but verifies no signature."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    body = {"aud": issuer, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(body, key, algorithm="RS256")


def vendor_token(
    oidc_url: str,
    org_no: str,
    scopes: list[str],
    *,
    resource: str | None = None,
    method: str = "client_secret",
    timeout: float = 10.0,
) -> str:
    """An access token of the ``maskinporten`` issuer for vendor ``org_no``.

    ``method`` is ``client_secret`` (client credentials, secret in the form),
    ``client_assertion`` (client credentials with a ``private_key_jwt`` assertion) or
    ``jwt_bearer`` (Maskinporten's JWT grant).
    """
    issuer = f"{oidc_url}/{MASKINPORTEN}"
    data: dict[str, str] = {"scope": " ".join(scopes)}
    if resource is not None:
        data["resource"] = resource
    if method == "client_secret":
        data |= {
            "grant_type": "client_credentials",
            "client_id": org_no,
            "client_secret": "unused-by-the-mock",
        }
    elif method == "client_assertion":
        assertion = _throwaway_assertion(f"{issuer}/token", {"iss": org_no, "sub": org_no})
        data |= {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        }
    elif method == "jwt_bearer":
        # The mock matches the org on a client_id form parameter; the assertion names it too.
        assertion = _throwaway_assertion(issuer, {"iss": org_no, "scope": data["scope"]})
        data |= {"grant_type": JWT_BEARER_GRANT, "assertion": assertion, "client_id": org_no}
    else:
        raise ValueError(f"unknown method {method!r}")
    response = httpx.post(f"{issuer}/token", data=data, timeout=timeout)
    return _token_from(response, "access_token")


@dataclass(frozen=True)
class PersonLogin:
    """What a relying party received after a person logged in at the ``idporten`` issuer."""

    id_token: str
    access_token: str
    state: str
    nonce: str


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def person_login(
    oidc_url: str,
    pid: str,
    *,
    client_id: str = "sysaccess-portal",
    redirect_uri: str = "http://127.0.0.1/callback",
    claims_json: str = "",
    timeout: float = 10.0,
) -> PersonLogin:
    """Log ``pid`` in through the provider's own login form, as a browser would, without one.

    Runs the authorization code flow with PKCE, ``state`` and ``nonce`` and redeems the code
    at the token endpoint; for tests and tools, not for the portal (which is the real
    relying party).
    """
    issuer = f"{oidc_url}/{IDPORTEN}"
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "openid profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": ACR_SUBSTANTIAL,
    }
    with httpx.Client(timeout=timeout) as client:
        form = client.get(f"{issuer}/authorize", params=params)
        if form.status_code != 200 or 'name="username"' not in form.text:
            raise ProviderError(f"no login form: {form.status_code} {form.text[:200]}")
        submitted = client.post(
            f"{issuer}/authorize", params=params, data={"username": pid, "claims": claims_json}
        )
        if submitted.status_code != 302:
            raise ProviderError(f"login refused: {submitted.status_code} {submitted.text[:200]}")
        back = httpx.URL(submitted.headers["location"])
        if back.params.get("state") != state:
            raise ProviderError(f"state not returned: {back}")
        response = client.post(
            f"{issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": back.params["code"],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client_id, "unused-by-the-mock"),
        )
    return PersonLogin(_token_from(response, "id_token"), _token_from(response, "access_token"), state, nonce)

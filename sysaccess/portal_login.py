"""Log a person in to the portal through the identity provider's own login form, without a browser.

Used by the end-to-end tests and the load generator: the same round trip a browser makes
(portal /login -> provider's form -> portal callback), over HTTP with httpx.
"""

from __future__ import annotations

import httpx

__all__ = ["LoginFailed", "portal_login"]

USERNAME_FIELD = 'name="username"'


class LoginFailed(RuntimeError):
    pass


async def portal_login(
    client: httpx.AsyncClient, pid: str, return_url: str = "/", *, claims_json: str = ""
) -> str:
    """Log ``pid`` in; return the session's CSRF token.

    ``client`` is an httpx client whose base URL is the portal; it keeps the cookies.
    ``claims_json`` fills the provider's claims box (only honoured for non-pid usernames).
    """
    callback = await provider_round_trip(client, pid, return_url, claims_json=claims_json)
    done = await client.get(callback)
    if done.status_code != 303:
        raise LoginFailed(f"login refused: {done.status_code} {done.text[:300]}")
    me = await client.get("/accessmanagement/api/v1/me")
    if me.status_code != 200:
        raise LoginFailed(f"no session after login: {me.status_code}")
    token: str = me.json()["csrfToken"]
    return token


async def provider_round_trip(
    client: httpx.AsyncClient, username: str, return_url: str = "/", *, claims_json: str = ""
) -> str:
    """Start a login at the portal and sign in at the provider; the callback URL it sends back."""
    start = await client.get("/login", params={"returnUrl": return_url})
    if start.status_code != 303:
        raise LoginFailed(f"no redirect to the provider: {start.status_code} {start.text[:200]}")
    authorize = start.headers["location"]
    form = await client.get(authorize)
    if form.status_code != 200 or USERNAME_FIELD not in form.text:
        raise LoginFailed(f"no login form at the provider: {form.status_code}")
    signed_in = await client.post(authorize, data={"username": username, "claims": claims_json})
    if signed_in.status_code != 302:
        raise LoginFailed(f"the provider refused the login: {signed_in.status_code}")
    return signed_in.headers["location"]

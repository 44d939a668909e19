"""Who is calling the vendor API: what a verified Maskinporten token must say about its holder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .references import vendor_org_from_id

__all__ = ["Vendor", "vendor_from_claims"]

MASKINPORTEN_AUTHORITY = "iso6523-actorid-upis"


@dataclass(frozen=True)
class Vendor:
    """The calling vendor, as its verified token says."""

    org_no: str
    scopes: frozenset[str]
    client_id: str | None = None
    """The token's ``client_id``: the vendor's Maskinporten client (a system lists it in ``clientId``)."""


def vendor_from_claims(claims: Mapping[str, object], *, max_lifetime_seconds: int) -> Vendor | str:
    """The vendor a token's (signature-checked) claims name, or why they are not acceptable."""
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        return "the token has no iat or exp"
    if expires - issued > max_lifetime_seconds:
        return f"the token lives {int(expires - issued)} s, longer than the {max_lifetime_seconds} s allowed"
    consumer = claims.get("consumer")
    if (
        not isinstance(consumer, Mapping)
        or consumer.get("authority", MASKINPORTEN_AUTHORITY) != MASKINPORTEN_AUTHORITY
    ):
        return "the token has no valid consumer claim"
    org_no = vendor_org_from_id(str(consumer.get("ID", "")))
    if org_no is None:
        return "the token has no valid consumer claim"
    scope = claims.get("scope")
    client_id = claims.get("client_id")
    return Vendor(
        org_no=org_no,
        scopes=frozenset(scope.split() if isinstance(scope, str) else ()),
        client_id=client_id if isinstance(client_id, str) and client_id else None,
    )

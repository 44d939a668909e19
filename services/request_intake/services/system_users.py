"""Use cases after approval: Maskinporten's lookup, system-user tokens, and authorization decisions.

- ``SystemUserTokens.by_external_id``: what Maskinporten asks Altinn before it issues a system-user
  token (``GET systemuser/byExternalId``).
- ``SystemUserTokens.exchange``: a vendor's provider token exchanged for a short-lived, signed
  token of one customer's system user, or Maskinporten's MP-303 refusal.
- ``AccessDecisions.decide``: the decision point a resource API asks, Permit or Deny with the reason.

Every answer reads the current state (intake's mirror of the approval service's events), so a
deleted system user, or a removed client, stops new tokens and permits as soon as intake has
applied the event.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared import events as ev
from shared.world import World

from ..domain.accesses import SystemAccess, access_not_found
from ..domain.decisions import Decision, decide, deny_invalid_token
from ..domain.requests import NaturalKey
from ..domain.system_users import (
    ExchangeRequest,
    SystemUserTokenInvalid,
    TokenRequestRefused,
    granted_scopes,
    no_registered_system,
    no_system_user,
    system_user_claims,
    system_user_of,
    systems_for_client,
)
from ..domain.systems import RegisteredSystem
from ..domain.vendors import Vendor
from .accesses import FoundAccess
from .ports import AccessReader, SystemStore, TokenSigner

__all__ = ["AccessDecisions", "DecisionQuery", "IssuedToken", "SystemUserTokens"]

MAX_REMEMBERED_CLIENTS = 10_000


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    token_type: str
    """The RFC 8693 ``issued_token_type``."""
    expires_in: int
    scopes: tuple[str, ...]
    system_user_id: str


@dataclass(frozen=True, slots=True)
class DecisionQuery:
    """Exactly one of ``token`` and ``system_user_id`` names the system user."""

    resource: str
    action: str
    organisation: str
    token: str | None = None
    system_user_id: str | None = None


class SystemUserTokens:
    def __init__(
        self,
        accesses: AccessReader,
        systems: SystemStore,
        signer: TokenSigner,
        world: World,
        *,
        issuer: str,
        lifetime_seconds: int,
        system_cache_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        new_jti: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        self._accesses = accesses
        self._systems = systems
        self._signer = signer
        self._world = world
        self.issuer = issuer
        self.lifetime_seconds = lifetime_seconds
        self._system_cache_seconds = system_cache_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._new_jti = new_jti
        self._client_systems_seen: dict[tuple[str, str], tuple[float, list[RegisteredSystem]]] = {}
        self._client_systems_reading: dict[tuple[str, str], asyncio.Future[list[RegisteredSystem]]] = {}

    async def by_external_id(
        self, client_id: str, provider_org: str, owner_org: str, external_ref: str | None
    ) -> FoundAccess:
        """The live system user of ``owner_org`` on the provider's system that lists ``client_id``."""
        systems = await self._client_systems(provider_org, client_id)
        access = await self._live_access(systems, owner_org, external_ref or owner_org)
        if access is None:
            raise access_not_found()
        vendor = self._world.organisation(provider_org)
        return FoundAccess(access, vendor.name if vendor else provider_org)

    async def exchange(self, vendor: Vendor, request: ExchangeRequest) -> IssuedToken:
        """A system-user token for the customer ``request`` names; TokenRequestRefused otherwise."""
        if vendor.client_id is None:
            raise TokenRequestRefused("invalid_grant", "The subject token names no client_id")
        scopes = granted_scopes(request.scopes, vendor.scopes)
        systems = await self._client_systems(vendor.org_no, vendor.client_id)
        if not systems:
            raise no_registered_system(vendor.client_id, vendor.org_no)
        access = await self._live_access(systems, request.ask.org_no, request.ask.external_ref)
        if access is None:
            raise no_system_user(request.ask, systems)
        claims = system_user_claims(
            access,
            vendor,
            scopes=scopes,
            audience=request.audience,
            issuer=self.issuer,
            issued_at=int(self._clock()),
            lifetime_seconds=self.lifetime_seconds,
            jti=self._new_jti(),
        )
        return IssuedToken(
            access_token=self._signer.sign(claims),
            token_type=request.requested_token_type,
            expires_in=self.lifetime_seconds,
            scopes=scopes,
            system_user_id=access.id,
        )

    def jwks(self) -> dict[str, Any]:
        return self._signer.jwks()

    async def _client_systems(self, vendor_org: str, client_id: str) -> list[RegisteredSystem]:
        """The vendor's systems that list the client id; remembered for ``system_cache_seconds``
        (the register changes seldom; a system user's own state is always read fresh). Callers
        that miss together share one read of the register."""
        key = (vendor_org, client_id)
        seen = self._client_systems_seen.get(key)
        if seen is not None and self._monotonic() - seen[0] < self._system_cache_seconds:
            return seen[1]
        reading = self._client_systems_reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read_client_systems(vendor_org, client_id))
            self._client_systems_reading[key] = reading
            reading.add_done_callback(lambda _: self._client_systems_reading.pop(key, None))
        return await asyncio.shield(reading)

    async def _read_client_systems(self, vendor_org: str, client_id: str) -> list[RegisteredSystem]:
        started = self._monotonic()
        found = systems_for_client(await self._systems.list_for_vendor(vendor_org), vendor_org, client_id)
        if self._system_cache_seconds > 0:
            if len(self._client_systems_seen) >= MAX_REMEMBERED_CLIENTS:
                self._client_systems_seen.clear()
            self._client_systems_seen[(vendor_org, client_id)] = (started, found)
        return found

    async def _live_access(
        self, systems: Sequence[RegisteredSystem], org_no: str, external_ref: str
    ) -> SystemAccess | None:
        for system in systems:
            access = await self._accesses.find_access(NaturalKey(system.id, org_no, external_ref))
            if access is not None and not access.is_deleted and access.vendor_org_no == system.vendor_org_no:
                return access
        return None


class AccessDecisions:
    """The decision point: may a system user do an action on a resource for an organisation?"""

    def __init__(
        self, accesses: AccessReader, systems: SystemStore, signer: TokenSigner, world: World, *, issuer: str
    ) -> None:
        self._accesses = accesses
        self._systems = systems
        self._signer = signer
        self._world = world
        self._issuer = issuer

    async def decide(self, query: DecisionQuery) -> Decision:
        if query.token is not None:
            try:
                claims = self._signer.verify(query.token, issuer=self._issuer)
            except SystemUserTokenInvalid as exc:
                return deny_invalid_token(str(exc))
            named = system_user_of(claims)
            if named is None:
                return deny_invalid_token("it names no urn:altinn:systemuser")
            system_user_id = named.system_user_id
        elif query.system_user_id is not None:
            system_user_id = query.system_user_id
        else:
            raise ValueError("a decision needs a system-user token or id")
        access = await self._accesses.get_access(system_user_id)
        live = access is not None and await self._system_live(access.system_id)
        clients: list[str] = []
        if access is not None and access.request_type is ev.RequestType.AGENT and not access.is_deleted:
            clients = await self._accesses.clients_of(access.id)
        return decide(
            access,
            system_user_id=system_user_id,
            system_live=live,
            clients=frozenset(clients),
            world=self._world,
            resource=query.resource,
            action=query.action,
            organisation=query.organisation,
        )

    async def _system_live(self, system_id: str) -> bool:
        system = await self._systems.get(system_id)
        return system is not None and not system.is_deleted

"""What the use cases need from the outside world, as Protocols.

The Redis adapters in ``storage/`` implement these; unit tests use in-memory fakes. Every
method that writes state and an event writes both in one atomic step, and every method
that applies an event from Kafka applies it once per event id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from shared import events as ev
from shared.access_changes import AccessChange

from ..domain.accesses import SystemAccess
from ..domain.applied import Applied
from ..domain.change_requests import ChangeRequest, ChangeRequestTransition, ChangeSlice
from ..domain.duplicates import CreationDecision
from ..domain.paging import AccessSlice, PageCursor, RequestSlice
from ..domain.requests import AccessRequest, NaturalKey, RequestTransition
from ..domain.system_changes import SystemChange
from ..domain.systems import RegisteredSystem

__all__ = [
    "AccessReader",
    "ChangeRequestStore",
    "Clock",
    "OutcomeStore",
    "RequestStore",
    "SecretSealer",
    "SystemStore",
    "TokenSigner",
    "utc_now",
]

Clock = Callable[[], datetime]
"""The current time (UTC); tests pass a fixed one."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class SystemStore(Protocol):
    """The system register."""

    async def get(self, system_id: str) -> RegisteredSystem | None: ...

    async def list_for_vendor(self, vendor_org_no: str) -> list[RegisteredSystem]:
        """All of a vendor's systems, deleted ones included, by id."""
        ...

    async def add(
        self, applied: Applied[RegisteredSystem, ev.SystemRegistered], change: SystemChange | None = None
    ) -> bool:
        """Store a new system with its event and its change-log entry; False, and nothing
        written, when the id is taken.

        Raises the ``AUTH.VLD-00004`` refusal (``domain.system_changes.client_ids_taken``),
        writing nothing, when another live system lists one of its client ids: the check and
        the write are one atomic step.
        """
        ...

    async def save(
        self,
        applied: Applied[RegisteredSystem, ev.SystemUpdated | ev.SystemDeleted | ev.WebhookSecretsChanged],
        change: SystemChange | None = None,
    ) -> None:
        """Overwrite a system, with its events and its change-log entry; as ``add`` for client
        ids. A deleted system frees its client ids."""
        ...

    async def changelog(self, system_id: str) -> list[SystemChange]:
        """The system's change-log entries, oldest first."""
        ...


class SecretSealer(Protocol):
    """Seals a secret for storage and transport (``shared.sealing.SecretBox``)."""

    def seal(self, plaintext: str, context: str) -> str: ...


class RequestStore(Protocol):
    """Access requests, indexed by id, by natural key and by system."""

    async def create(self, applied: Applied[AccessRequest, ev.SystemAccessRequested]) -> CreationDecision:
        """Decide the new request against its natural key (``domain.duplicates.decide_creation``)
        and, when the decision is CreateNew, store it with its event: one atomic step."""
        ...

    async def get(self, request_id: str) -> AccessRequest | None: ...

    async def find(self, key: NaturalKey, request_type: ev.RequestType) -> AccessRequest | None:
        """The latest request of a type opened under a natural key (a withdrawal frees the key)."""
        ...

    async def page(
        self, request_type: ev.RequestType, system_id: str, after: PageCursor | None, size: int
    ) -> RequestSlice:
        """A system's requests of one type in creation order, withdrawn ones left out."""
        ...

    async def withdraw(self, applied: Applied[AccessRequest, ev.RequestWithdrawn]) -> None:
        """Mark the stored request withdrawn and free its natural key, with the event; nothing
        when it is gone or already withdrawn (a concurrent withdrawal won)."""
        ...


class ChangeRequestStore(Protocol):
    """Change requests, by id (the vendor's correlation id), by the access's natural key and by system."""

    async def create(
        self, applied: Applied[ChangeRequest, ev.SystemAccessChangeRequested]
    ) -> ChangeRequest | None:
        """Store the change request with its event, atomically, unless its id is taken: then
        return the stored one and write nothing."""
        ...

    async def get(self, change_request_id: str) -> ChangeRequest | None: ...

    async def find(self, key: NaturalKey) -> ChangeRequest | None:
        """The latest change request of the access under a natural key."""
        ...

    async def page(self, system_id: str, after: PageCursor | None, size: int) -> ChangeSlice:
        """A system's change requests in creation order, withdrawn ones left out."""
        ...

    async def withdraw(self, applied: Applied[ChangeRequest, ev.ChangeRequestWithdrawn]) -> None:
        """Mark it withdrawn, with the event; nothing when it already is."""
        ...

    async def update(
        self,
        event_id: UUID,
        change_request_id: str,
        transition: ChangeRequestTransition,
        access_id: str | None = None,
        change: AccessChange | None = None,
    ) -> bool:
        """Apply ``transition`` to the stored change request and ``change`` to the mirrored access,
        once per event id. False when the event was applied before."""
        ...


class OutcomeStore(Protocol):
    """Applies the approval service's outcome events, once per event id."""

    async def update_request(
        self,
        event_id: UUID,
        request_id: str,
        transition: RequestTransition,
        access: SystemAccess | None = None,
    ) -> bool:
        """Apply ``transition`` to the stored request (and store ``access`` with it); nothing
        when the request is unknown here. False when the event was applied before."""
        ...

    async def delete_access(self, event_id: UUID, access_id: str, key: NaturalKey) -> bool:
        """Mark the access deleted, free its natural key and forget its clients."""
        ...

    async def add_client(self, event_id: UUID, access_id: str, client_org_no: str) -> bool: ...

    async def remove_client(self, event_id: UUID, access_id: str, client_org_no: str) -> bool: ...


class AccessReader(Protocol):
    """Reads of the system accesses intake keeps."""

    async def get_access(self, access_id: str) -> SystemAccess | None: ...

    async def find_access(self, key: NaturalKey) -> SystemAccess | None:
        """The live access under a natural key."""
        ...

    async def clients_of(self, access_id: str) -> list[str]:
        """Organisation numbers of the access's clients, sorted."""
        ...

    async def page_by_system(self, system_id: str, after: PageCursor | None, size: int) -> AccessSlice:
        """A system's live accesses (standard and agent) in creation order."""
        ...


class TokenSigner(Protocol):
    """The keys system-user tokens are signed with: the current one signs, all are published."""

    def sign(self, claims: Mapping[str, object]) -> str:
        """A compact JWS of ``claims``, signed with the current key (its ``kid`` in the header)."""
        ...

    def verify(self, token: str, *, issuer: str) -> dict[str, Any]:
        """The claims of a token signed with one of the keys, unexpired and from ``issuer``;
        raise ``domain.system_users.SystemUserTokenInvalid`` otherwise."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK Set, every key of a rotation included."""
        ...

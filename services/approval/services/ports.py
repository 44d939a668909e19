"""What approval's use cases need from the outside world, as Protocols.

Storage adapters implement these against Redis, Kafka and the notifier's HTTP API; unit
tests implement them in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from shared import events as ev
from shared.ratelimit import RateLimit, RateVerdict
from shared.world import Person

from ..domain.authorization import Relation
from ..domain.change_requests import ChangeApplied, ChangeRequestRecord, ChangeTimedOut
from ..domain.clients import ClientChanges, ClientRelationship
from ..domain.decisions import Decide
from ..domain.deletion import Deleted
from ..domain.directory import Notification, Party
from ..domain.expiry import TimedOut
from ..domain.history import HistoryEntry
from ..domain.login import IdentityClaims, LoginChallenge
from ..domain.models import DecisionResult, SystemAccess, SystemAccessRequest
from ..domain.refusals import Refusal
from ..domain.sessions import Session

__all__ = [
    "AccessRepository",
    "ChangeDecisionCommands",
    "ChangeRequestRepository",
    "DecisionCommands",
    "Directory",
    "HistoryRepository",
    "IdentityProvider",
    "NotificationInbox",
    "RateLimiter",
    "RequestRepository",
    "SessionRepository",
    "SystemRepository",
]


class RequestRepository(Protocol):
    """Pending requests and the decisions applied to them, each change atomic with its event."""

    async def get_request(self, request_id: str) -> SystemAccessRequest | None: ...

    async def pending_escalated(self, org_no: str) -> list[SystemAccessRequest]: ...

    async def add_request(
        self, request: SystemAccessRequest, event_id: str, history: tuple[HistoryEntry, ...] = ()
    ) -> bool:
        """Store a request that arrived as an event, once per event, with its first history entry;
        False if it was known."""
        ...

    async def change_request(
        self,
        request_id: str,
        event_id: str,
        change: Callable[[SystemAccessRequest | None], SystemAccessRequest | None],
    ) -> bool:
        """Apply ``change`` once per event; None from it means no change."""
        ...

    async def apply_decision(
        self, command: ev.DecideRequest, decide: Decide, *, report: bool = True
    ) -> DecisionResult | None:
        """Run ``decide`` on the current request and store its outcome, once per command.

        Returns the result, or None for a redelivered command. With ``report`` the result is
        also stored where a portal request waits for it (a command that came through Kafka).
        """
        ...

    async def wait_for_result(self, command_id: str, timeout: float) -> DecisionResult | None: ...

    async def due_expiries(self, now: datetime) -> list[str]: ...

    async def due_reminders(self, now: datetime) -> list[str]: ...

    async def time_out(
        self, request_id: str, rule: Callable[[SystemAccessRequest | None], TimedOut | None]
    ) -> bool: ...

    async def remind(
        self,
        request_id: str,
        rule: Callable[[SystemAccessRequest | None], ev.EscalationReminderTriggered | None],
    ) -> bool: ...


class ChangeRequestRepository(Protocol):
    """Change requests and the decisions on them; a decision changes its access in the same step."""

    async def get_change_request(self, change_request_id: str) -> ChangeRequestRecord | None: ...

    async def add_change_request(self, change: ChangeRequestRecord, event_id: str) -> bool:
        """Store a change request that arrived as an event, once; False if it was known."""
        ...

    async def withdraw_change_request(
        self,
        change_request_id: str,
        event_id: str,
        rule: Callable[[ChangeRequestRecord | None], ChangeRequestRecord | None],
    ) -> bool: ...

    async def apply_change_decision(
        self,
        command: ev.DecideChangeRequest,
        decide: Callable[
            [ChangeRequestRecord | None, SystemAccess | None], Awaitable[ChangeApplied | Refusal]
        ],
        *,
        report: bool = True,
    ) -> DecisionResult | None:
        """Run ``decide`` on the change request and its access as they are, and store its outcome
        (change request, access, event, history) once per command; None for a redelivered command."""
        ...

    async def due_change_expiries(self, now: datetime) -> list[str]: ...

    async def time_out_change_request(
        self, change_request_id: str, rule: Callable[[ChangeRequestRecord | None], ChangeTimedOut | None]
    ) -> bool: ...


class AccessRepository(Protocol):
    """System accesses and their clients."""

    async def get_access(self, access_id: str) -> SystemAccess | None: ...

    async def accesses_of(self, org_no: str) -> list[SystemAccess]: ...

    async def clients_of(self, access_id: str) -> list[str]: ...

    async def change_clients(
        self, access_id: str, plan: Callable[[SystemAccess | None, frozenset[str]], ClientChanges]
    ) -> ClientChanges: ...

    async def delete_access(
        self, access_id: str, plan: Callable[[SystemAccess | None], Deleted | Refusal]
    ) -> Deleted | Refusal: ...


class HistoryRepository(Protocol):
    """Each system access's history, written by the repositories above with each change."""

    async def history_of(self, access_id: str) -> list[HistoryEntry]:
        """Oldest first."""
        ...


class SystemRepository(Protocol):
    """The system register as approval sees it, from the register's events."""

    async def get_system(self, system_id: str) -> ev.SystemDescription | None: ...

    async def record_system(
        self, event: ev.SystemRegistered | ev.SystemUpdated | ev.SystemDeleted
    ) -> bool: ...


class Directory(Protocol):
    """People, organisations, roles and client relationships."""

    async def person(self, pid: str) -> Person | None: ...

    async def people(self) -> list[Person]: ...

    async def relation(self, pid: str, org_no: str) -> Relation | None: ...

    async def parties(self, pid: str) -> list[Party]: ...

    async def access_managers(self, org_no: str) -> tuple[str, ...]: ...

    async def client_relationships(self, facilitator_org_no: str) -> list[ClientRelationship]: ...

    async def org_name(self, org_no: str) -> str: ...


class DecisionCommands(Protocol):
    """Where decision commands go: to the worker through Kafka, or applied in the request."""

    async def send(self, command: ev.DecideRequest) -> DecisionResult | None:
        """The result when the command was applied at once; None when it went to the worker,
        which stores its result where ``RequestRepository.wait_for_result`` finds it."""
        ...


class ChangeDecisionCommands(Protocol):
    """Where change-request decisions go (their own topic, keyed by change request id)."""

    async def send(self, command: ev.DecideChangeRequest) -> DecisionResult | None:
        """As ``DecisionCommands.send``."""
        ...


class NotificationInbox(Protocol):
    """A person's notifications, kept by the notifier."""

    async def items(self, pid: str) -> list[Notification] | None:
        """Newest first; None when they cannot be read right now."""
        ...

    async def mark_read(self, pid: str, notification_id: str) -> bool: ...


class SessionRepository(Protocol):
    async def create(self, pid: str, id_token: str | None = None) -> Session: ...

    async def get(self, session_id: str | None) -> Session | None: ...

    async def delete(self, session_id: str | None) -> None: ...


class IdentityProvider(Protocol):
    """Who is logging in: an OpenID Connect provider (ID-porten, or the local stand-in)."""

    async def authorization_url(self, challenge: LoginChallenge, redirect_uri: str) -> str:
        """Where to send the browser to log in."""
        ...

    async def redeem(self, code: str, challenge: LoginChallenge, redirect_uri: str) -> IdentityClaims:
        """Exchange the code for a verified ID token; raise Refused when that fails."""
        ...

    async def logout_url(self, id_token: str | None, post_logout_redirect_uri: str, state: str) -> str | None:
        """Where to send the browser to end the provider's session; None if it has no such endpoint."""
        ...


class RateLimiter(Protocol):
    """Counts hits per subject in windows shared by every instance."""

    async def hit(self, limit: RateLimit, subject: str) -> RateVerdict: ...

"""In-memory implementations of approval's ports, for use-case tests without Kafka or Redis."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime

from services.approval.domain.authorization import ACCESS_MANAGER_ROLES, Relation
from services.approval.domain.clients import ClientChanges, ClientRelationship
from services.approval.domain.decisions import Applied, Decide
from services.approval.domain.deletion import Deleted
from services.approval.domain.directory import Notification, Party
from services.approval.domain.expiry import TimedOut, reminder_due_at
from services.approval.domain.history import HistoryEntry
from services.approval.domain.login import IdentityClaims, LoginChallenge
from services.approval.domain.models import (
    DecisionOutcome,
    DecisionResult,
    SystemAccess,
    SystemAccessRequest,
)
from services.approval.domain.refusals import Refusal, RefusalReason, Refused, Unavailable
from services.approval.domain.sessions import Session
from shared import events as ev
from shared.ratelimit import RateLimit, RateVerdict
from shared.world import Person, World, load_world


class FakeRepository:
    """Requests, accesses and systems in dictionaries, with the same once-per-event guard."""

    def __init__(self) -> None:
        self.requests: dict[str, SystemAccessRequest] = {}
        self.accesses: dict[str, SystemAccess] = {}
        self.clients: dict[str, set[str]] = {}
        self.systems: dict[str, ev.SystemDescription] = {}
        self.results: dict[str, DecisionResult] = {}
        self.applied: set[str] = set()
        self.outbox: list[ev.Message] = []
        self.pending: set[str] = set()
        self.expiries: dict[str, datetime] = {}
        self.reminders: dict[str, datetime] = {}
        self.histories: dict[str, list[HistoryEntry]] = {}

    # requests
    async def get_request(self, request_id: str) -> SystemAccessRequest | None:
        return self.requests.get(request_id)

    async def pending_escalated(self, org_no: str) -> list[SystemAccessRequest]:
        return [r for r in self.requests.values() if r.id in self.pending and r.party_org_no == org_no]

    def _once(self, event_id: str) -> bool:
        if event_id in self.applied:
            return False
        self.applied.add(event_id)
        return True

    async def add_request(
        self, request: SystemAccessRequest, event_id: str, history: tuple[HistoryEntry, ...] = ()
    ) -> bool:
        if not self._once(event_id):
            return False
        if request.id not in self.requests:
            self.requests[request.id] = request
            self.expiries[request.id] = request.expires_at
            self.histories.setdefault(request.id, []).extend(history)
        return True

    async def change_request(
        self,
        request_id: str,
        event_id: str,
        change: Callable[[SystemAccessRequest | None], SystemAccessRequest | None],
    ) -> bool:
        if not self._once(event_id):
            return False
        changed = change(self.requests.get(request_id))
        if changed is not None:
            self.requests[request_id] = changed
            self.pending.discard(request_id)
        return True

    async def apply_decision(
        self, command: ev.DecideRequest, decide: Decide, *, report: bool = True
    ) -> DecisionResult | None:
        if not self._once(str(command.event_id)):
            return None
        decided = await decide(self.requests.get(str(command.request_id)))
        if isinstance(decided, Refusal):
            result = DecisionResult(
                outcome=DecisionOutcome.REFUSED,
                code=decided.code,
                detail=decided.detail,
                reason=decided.reason,
            )
        else:
            result = DecisionResult(outcome=decided.outcome)
            self._persist(decided)
        if report:
            self.results[str(command.event_id)] = result
        return result

    def _persist(self, decided: Applied) -> None:
        request = decided.request
        self.requests[request.id] = request
        self.outbox.append(decided.event)
        self.histories.setdefault(request.id, []).extend(decided.history)
        if decided.access is not None:
            self.accesses[request.id] = decided.access
        if decided.outcome is DecisionOutcome.ESCALATED:
            self.pending.add(request.id)
            self.reminders[request.id] = reminder_due_at(request)
        else:
            self.pending.discard(request.id)
            self.expiries.pop(request.id, None)
            self.reminders.pop(request.id, None)

    async def wait_for_result(self, command_id: str, timeout: float) -> DecisionResult | None:
        return self.results.get(command_id)

    async def due_expiries(self, now: datetime) -> list[str]:
        return [i for i, at in self.expiries.items() if at <= now]

    async def due_reminders(self, now: datetime) -> list[str]:
        return [i for i, at in self.reminders.items() if at <= now]

    async def time_out(
        self, request_id: str, rule: Callable[[SystemAccessRequest | None], TimedOut | None]
    ) -> bool:
        self.expiries.pop(request_id, None)
        outcome = rule(self.requests.get(request_id))
        if outcome is None:
            return False
        self.requests[request_id] = outcome.request
        self.pending.discard(request_id)
        self.reminders.pop(request_id, None)
        self.outbox.append(outcome.event)
        return True

    async def remind(
        self,
        request_id: str,
        rule: Callable[[SystemAccessRequest | None], ev.EscalationReminderTriggered | None],
    ) -> bool:
        self.reminders.pop(request_id, None)
        event = rule(self.requests.get(request_id))
        if event is not None:
            self.outbox.append(event)
        return event is not None

    # accesses
    async def get_access(self, access_id: str) -> SystemAccess | None:
        return self.accesses.get(access_id)

    async def accesses_of(self, org_no: str) -> list[SystemAccess]:
        return [a for a in self.accesses.values() if a.party_org_no == org_no and not a.deleted]

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(self.clients.get(access_id, set()))

    async def change_clients(
        self, access_id: str, plan: Callable[[SystemAccess | None, frozenset[str]], ClientChanges]
    ) -> ClientChanges:
        current = self.clients.setdefault(access_id, set())
        changes = plan(self.accesses.get(access_id), frozenset(current))
        current.update(changes.added)
        current.difference_update(changes.removed)
        self.outbox.extend(changes.events)
        self.histories.setdefault(access_id, []).extend(changes.history)
        return changes

    async def delete_access(
        self, access_id: str, plan: Callable[[SystemAccess | None], Deleted | Refusal]
    ) -> Deleted | Refusal:
        outcome = plan(self.accesses.get(access_id))
        if isinstance(outcome, Deleted):
            self.accesses[access_id] = outcome.access
            self.clients.pop(access_id, None)
            self.outbox.append(outcome.event)
            self.histories.setdefault(access_id, []).extend(outcome.history)
        return outcome

    # history
    async def history_of(self, access_id: str) -> list[HistoryEntry]:
        return list(self.histories.get(access_id, []))

    # systems
    async def get_system(self, system_id: str) -> ev.SystemDescription | None:
        return self.systems.get(system_id)

    async def record_system(self, event: ev.SystemRegistered | ev.SystemUpdated | ev.SystemDeleted) -> bool:
        if not self._once(str(event.event_id)):
            return False
        if isinstance(event, ev.SystemDeleted):
            self.systems.pop(event.system_id, None)
        else:
            self.systems[event.system.system_id] = event.system
        return True

    def events_of(self, kind: type[ev.Message]) -> list[ev.Message]:
        return [e for e in self.outbox if isinstance(e, kind)]


class WorldDirectory:
    """The cast's directory, read straight from the world file."""

    def __init__(self, world: World | None = None) -> None:
        self.world = world or load_world()

    async def person(self, pid: str) -> Person | None:
        return next((p for p in self.world.people if p.pid == pid), None)

    async def people(self) -> list[Person]:
        return list(self.world.people)

    async def relation(self, pid: str, org_no: str) -> Relation | None:
        for rel in self.world.roles:
            if rel.pid == pid and rel.org_no == org_no:
                return Relation(frozenset(rel.roles), frozenset(rel.rights), frozenset(rel.access_packages))
        return None

    async def parties(self, pid: str) -> list[Party]:
        org_nos = sorted(r.org_no for r in self.world.roles if r.pid == pid)
        return [Party(o, await self.org_name(o)) for o in org_nos]

    async def access_managers(self, org_no: str) -> tuple[str, ...]:
        return tuple(
            sorted(
                r.pid for r in self.world.roles if r.org_no == org_no and set(r.roles) & ACCESS_MANAGER_ROLES
            )
        )

    async def client_relationships(self, facilitator_org_no: str) -> list[ClientRelationship]:
        return [
            ClientRelationship(link.client_org_no, link.relation, frozenset(link.access_packages))
            for link in self.world.client_relationships
            if link.facilitator_org_no == facilitator_org_no
        ]

    async def org_name(self, org_no: str) -> str:
        org = next((o for o in self.world.organisations if o.org_no == org_no), None)
        return org.name if org else org_no


class InlineDecisions:
    """Hands each decision command straight to a worker, as Kafka would a moment later."""

    def __init__(self) -> None:
        self.sent: list[ev.DecideRequest] = []
        self.worker: object | None = None

    async def send(self, command: ev.DecideRequest) -> None:
        self.sent.append(command)
        handle = getattr(self.worker, "handle", None)
        if handle is not None:
            await handle(command)


class FakeNotifications:
    def __init__(self, items: list[Notification] | None = None) -> None:
        self.entries = items
        self.read: list[tuple[str, str]] = []

    async def items(self, pid: str) -> list[Notification] | None:
        return self.entries

    async def mark_read(self, pid: str, notification_id: str) -> bool:
        self.read.append((pid, notification_id))
        return True


class FakeSessions:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}

    async def create(self, pid: str, id_token: str | None = None) -> Session:
        now = time.time()
        session = Session(secrets.token_urlsafe(8), pid, secrets.token_urlsafe(8), now, now, id_token)
        self.sessions[session.id] = session
        return session

    async def get(self, session_id: str | None) -> Session | None:
        return self.sessions.get(session_id or "")

    async def delete(self, session_id: str | None) -> None:
        self.sessions.pop(session_id or "", None)


class CountingLimiter:
    """Fixed windows in memory; ``now`` is advanced by the test."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], int] = {}

    async def hit(self, limit: RateLimit, subject: str) -> RateVerdict:
        key = (limit.name, subject)
        self.hits[key] = self.hits.get(key, 0) + 1
        if limit.limit <= 0 or self.hits[key] <= limit.limit:
            return RateVerdict(True)
        return RateVerdict(False, retry_after=int(limit.window.total_seconds()))


class BrokenDecisions:
    """A broker that is down: nothing can be published."""

    async def send(self, command: ev.DecideRequest) -> None:
        raise Unavailable("broker down")


class FakeIdentityProvider:
    """A provider that issues, for each code, the claims the test gave it (once per code)."""

    AUTHORIZE = "https://idp.test/authorize"
    END_SESSION = "https://idp.test/endsession"

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, str | None]] = {}
        self.started: list[LoginChallenge] = []

    def issue(
        self,
        code: str,
        *,
        pid: str | None,
        acr: str | None = "idporten-loa-substantial",
        nonce: str | None = None,
    ) -> None:
        """``nonce`` None: the nonce of the latest login started (as a real provider would echo)."""
        self.codes[code] = {"pid": pid, "acr": acr, "nonce": nonce}

    async def authorization_url(self, challenge: LoginChallenge, redirect_uri: str) -> str:
        self.started.append(challenge)
        return f"{self.AUTHORIZE}?state={challenge.state}&redirect_uri={redirect_uri}"

    async def redeem(self, code: str, challenge: LoginChallenge, redirect_uri: str) -> IdentityClaims:
        claims = self.codes.pop(code, None)
        if claims is None:
            raise Refused(Refusal("LOGIN-REFUSED", "unknown or used code", RefusalReason.FORBIDDEN))
        nonce = claims["nonce"] if claims["nonce"] is not None else challenge.nonce
        return IdentityClaims(pid=claims["pid"], acr=claims["acr"], nonce=nonce, id_token=f"id-token-{code}")

    async def logout_url(self, id_token: str | None, post_logout_redirect_uri: str, state: str) -> str | None:
        return f"{self.END_SESSION}?state={state}&post_logout_redirect_uri={post_logout_redirect_uri}"

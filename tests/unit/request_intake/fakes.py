"""In-memory fakes of intake's ports, and the builders the use-case tests share.

The fakes keep the contracts of ``services.ports`` (one write and its event together, one
application per event id) with plain dicts, and decide duplicates with the same domain rule
the Redis adapter applies, so the use cases can be tested without Kafka or Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from services.request_intake.domain.accesses import SystemAccess, mark_deleted
from services.request_intake.domain.applied import Applied
from services.request_intake.domain.change_requests import ChangeRequest, deny_change
from services.request_intake.domain.duplicates import CreateNew, CreationDecision, decide_creation
from services.request_intake.domain.paging import AccessSlice, PageCursor, RequestSlice
from services.request_intake.domain.references import AccessPackageRef, ResourceAttribute, Right
from services.request_intake.domain.request_specs import AgentRequestSpec, StandardRequestSpec
from services.request_intake.domain.requests import (
    AccessRequest,
    NaturalKey,
    RequestTransition,
    mark_withdrawn,
)
from services.request_intake.domain.system_changes import (
    SystemChange,
    client_id_key,
    client_ids_in_use,
    client_ids_taken,
)
from services.request_intake.domain.systems import RegisteredSystem, SystemSpec
from shared import events as ev
from shared.world import RESOURCE_ATTRIBUTE, World, load_world

SMARTCLOUD = "314000110"
FLINK = "313222225"
SYSTEM_ID = "314000110_smartcloud"
TIGER = "310614289"
PKG = "urn:altinn:accesspackage:"
SKATT = PKG + "skattnaering"
LONN = PKG + "regnskapsforer-lonn"
RECEIPT = "https://smartcloud.example/receipt"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def world() -> World:
    return load_world()


def seeded_spec(**changes: object) -> SystemSpec:
    return SystemSpec.model_validate({**world().systems[0], **changes})


def right(resource_id: str) -> Right:
    return Right(resource=(ResourceAttribute(id=RESOURCE_ATTRIBUTE, value=resource_id),))


def standard_spec(external_ref: str | None = "ref-1", **changes: object) -> StandardRequestSpec:
    fields: dict[str, object] = {
        "system_id": SYSTEM_ID,
        "party_org_no": TIGER,
        "external_ref": external_ref,
        "rights": (right("ske-krav-og-betalinger"),),
        "access_packages": (AccessPackageRef(urn=SKATT),),
        "redirect_url": RECEIPT,
        **changes,
    }
    return StandardRequestSpec.model_validate(fields)


def agent_spec(external_ref: str = "agent-1") -> AgentRequestSpec:
    return AgentRequestSpec(
        system_id=SYSTEM_ID,
        party_org_no=FLINK,
        external_ref=external_ref,
        access_packages=(AccessPackageRef(urn=LONN),),
    )


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass
class Memory:
    """What Redis would hold for one intake, as plain Python."""

    systems: dict[str, RegisteredSystem] = field(default_factory=dict)
    requests: dict[str, AccessRequest] = field(default_factory=dict)
    latest_request: dict[tuple[ev.RequestType, NaturalKey], str] = field(default_factory=dict)
    """Keyed by type too, as in Redis: standard and agent requests are pending apart."""
    accesses: dict[str, SystemAccess] = field(default_factory=dict)
    live_access: dict[NaturalKey, str] = field(default_factory=dict)
    clients: dict[str, set[str]] = field(default_factory=dict)
    client_id_owners: dict[str, str] = field(default_factory=dict)
    """``client_id_key`` of each client id a live system lists -> that system's id."""
    changelogs: dict[str, list[SystemChange]] = field(default_factory=dict)
    change_requests: dict[str, ChangeRequest] = field(default_factory=dict)
    applied_events: set[UUID] = field(default_factory=set)
    outbox: list[ev.Message] = field(default_factory=list)
    """Events written with a state change, in order."""

    def once(self, event_id: UUID) -> bool:
        """True the first time an event id is seen (the idempotent-consumer guard)."""
        if event_id in self.applied_events:
            return False
        self.applied_events.add(event_id)
        return True


class MemorySystemStore:
    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    async def get(self, system_id: str) -> RegisteredSystem | None:
        return self.memory.systems.get(system_id)

    async def list_for_vendor(self, vendor_org_no: str) -> list[RegisteredSystem]:
        systems = self.memory.systems.values()
        return sorted((s for s in systems if s.vendor_org_no == vendor_org_no), key=lambda s: s.id)

    async def changelog(self, system_id: str) -> list[SystemChange]:
        return list(self.memory.changelogs.get(system_id, ()))

    async def add(
        self, applied: Applied[RegisteredSystem, ev.SystemRegistered], change: SystemChange | None = None
    ) -> bool:
        if applied.record.id in self.memory.systems:
            return False
        self._write(applied, change)
        return True

    async def save(
        self,
        applied: Applied[RegisteredSystem, ev.SystemUpdated | ev.SystemDeleted | ev.WebhookSecretsChanged],
        change: SystemChange | None = None,
    ) -> None:
        self._write(applied, change)

    def _write(self, applied: Applied[RegisteredSystem, ev.Message], change: SystemChange | None) -> None:
        system = applied.record
        listed = () if system.is_deleted else system.spec.client_id
        taken = client_ids_in_use(listed, self.memory.client_id_owners, system.id)
        if taken:
            raise client_ids_taken(taken)
        owners = self.memory.client_id_owners
        for key in [k for k, owner in owners.items() if owner == system.id]:
            del owners[key]
        owners.update({client_id_key(c): system.id for c in listed})
        self.memory.systems[system.id] = system
        if change is not None:
            self.memory.changelogs.setdefault(system.id, []).append(change)
        self.memory.outbox.extend(applied.events)


class MemoryRequestStore:
    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    async def create(self, applied: Applied[AccessRequest, ev.SystemAccessRequested]) -> CreationDecision:
        request = applied.record
        key = request.natural_key
        latest_id = self.memory.latest_request.get((request.request_type, key))
        latest = self.memory.requests.get(latest_id) if latest_id else None
        decision = decide_creation(
            latest, self.memory.live_access.get(key), request.created, request.request_type
        )
        if isinstance(decision, CreateNew):
            self.memory.requests[request.id] = request
            self.memory.latest_request[(request.request_type, key)] = request.id
            self.memory.outbox.append(applied.event)
        return decision

    async def get(self, request_id: str) -> AccessRequest | None:
        return self.memory.requests.get(request_id)

    async def find(self, key: NaturalKey, request_type: ev.RequestType) -> AccessRequest | None:
        request_id = self.memory.latest_request.get((request_type, key))
        return self.memory.requests.get(request_id) if request_id else None

    async def page(
        self, request_type: ev.RequestType, system_id: str, after: PageCursor | None, size: int
    ) -> RequestSlice:
        listed = sorted(
            (f"{int(r.created.timestamp() * 1000):013d}:{r.id}", r)
            for r in self.memory.requests.values()
            if r.request_type is request_type and r.system_id == system_id
        )
        rest = [(member, r) for member, r in listed if after is None or member > after.after]
        page = rest[:size]
        cursor = PageCursor(page[-1][0]) if len(rest) > size else None
        return RequestSlice(tuple(r for _, r in page if not r.withdrawn), cursor)

    async def withdraw(self, applied: Applied[AccessRequest, ev.RequestWithdrawn]) -> None:
        current = self.memory.requests.get(applied.record.id)
        if current is None or current.withdrawn:
            return
        self.memory.requests[current.id] = mark_withdrawn(current)
        typed_key = (current.request_type, current.natural_key)
        if self.memory.latest_request.get(typed_key) == current.id:
            del self.memory.latest_request[typed_key]
        self.memory.outbox.append(applied.event)


class MemoryOutcomeStore:
    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    async def update_request(
        self,
        event_id: UUID,
        request_id: str,
        transition: RequestTransition,
        access: SystemAccess | None = None,
    ) -> bool:
        if not self.memory.once(event_id):
            return False
        current = self.memory.requests.get(request_id)
        if current is not None:
            self.memory.requests[request_id] = transition(current)
            if access is not None:
                self.memory.accesses[access.id] = access
                self.memory.live_access[access.natural_key] = access.id
        return True

    async def delete_access(self, event_id: UUID, access_id: str, key: NaturalKey) -> bool:
        if not self.memory.once(event_id):
            return False
        access = self.memory.accesses.get(access_id)
        if access is not None:
            self.memory.accesses[access_id] = mark_deleted(access)
            if self.memory.live_access.get(key) == access_id:
                del self.memory.live_access[key]
            self.memory.clients.pop(access_id, None)
            for change in list(self.memory.change_requests.values()):
                if change.system_user_id == access_id and (denied := deny_change(change)) is not None:
                    self.memory.change_requests[change.id] = denied
        return True

    async def add_client(self, event_id: UUID, access_id: str, client_org_no: str) -> bool:
        if not self.memory.once(event_id):
            return False
        self.memory.clients.setdefault(access_id, set()).add(client_org_no)
        return True

    async def remove_client(self, event_id: UUID, access_id: str, client_org_no: str) -> bool:
        if not self.memory.once(event_id):
            return False
        self.memory.clients.get(access_id, set()).discard(client_org_no)
        return True


class MemoryAccessReader:
    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    async def get_access(self, access_id: str) -> SystemAccess | None:
        return self.memory.accesses.get(access_id)

    async def find_access(self, key: NaturalKey) -> SystemAccess | None:
        access_id = self.memory.live_access.get(key)
        return self.memory.accesses.get(access_id) if access_id else None

    async def clients_of(self, access_id: str) -> list[str]:
        return sorted(self.memory.clients.get(access_id, set()))

    async def page_by_system(self, system_id: str, after: PageCursor | None, size: int) -> AccessSlice:
        listed = sorted(
            (f"{int(a.created.timestamp() * 1000):013d}:{a.id}", a)
            for a in self.memory.accesses.values()
            if a.system_id == system_id and not a.is_deleted
        )
        rest = [(member, a) for member, a in listed if after is None or member > after.after]
        page = rest[:size]
        cursor = PageCursor(page[-1][0]) if len(rest) > size else None
        return AccessSlice(tuple(a for _, a in page), cursor)


def registered(spec: SystemSpec | None = None, vendor: str = SMARTCLOUD) -> RegisteredSystem:
    return RegisteredSystem(spec=spec or seeded_spec(), vendor_org_no=vendor, created=T0, updated=T0)


def access_created(request: AccessRequest, **changes: object) -> ev.SystemAccessCreated:
    fields: dict[str, object] = {
        "system_access_id": UUID(request.id),
        "request_id": UUID(request.id),
        "request_type": request.request_type,
        "system_id": request.system_id,
        "vendor_org_no": request.vendor_org_no,
        "party_org_no": request.party_org_no,
        "external_ref": request.external_ref,
        "integration_title": request.integration_title,
        "rights": request.rights,
        "access_packages": request.access_packages,
        "approved_by": "12887010186",
        "approved_at": T0,
        **changes,
    }
    return ev.SystemAccessCreated.model_validate(fields)

"""A whole approval service in memory: real use cases over the fakes of its ports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from services.approval.domain.directory import Notification
from services.approval.services.access_details import AccessDetails
from services.approval.services.client_admin import ClientAdministration
from services.approval.services.decisions import DecisionWorker
from services.approval.services.expiry import ExpiryJob
from services.approval.services.naming import Names
from services.approval.services.overview import Overview
from services.approval.services.portal import Portal
from services.approval.services.projections import Projections
from shared import events as ev
from shared.world import World, load_world
from tests.unit.approval.fakes import FakeNotifications, FakeRepository, InlineDecisions, WorldDirectory

pytestmark = pytest.mark.unit

PARTY = "310614289"  # DISKRET NÆR TIGER AS
VENDOR = "314000110"  # SMARTCLOUD AS
SYSTEM = "314000110_smartcloud"
FACILITATOR = "313222225"  # FLINK REGNSKAP AS
MANAGER = "12887010186"  # daglig leder, holds every right
MANAGER_WITHOUT_RIGHT = "05816510068"  # tilgangsstyrer without ske-krav-og-betalinger
EMPLOYEE = "21927110056"
STRANGER = "24859010020"
CLIENT_ADMIN = "17848310182"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PACKAGES = (
    "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
    "urn:altinn:accesspackage:regnskapsforer-lonn",
    "urn:altinn:accesspackage:ansvarlig-revisor",
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class InMemoryApproval:
    repository: FakeRepository
    directory: WorldDirectory
    decisions: InlineDecisions
    notifications: FakeNotifications
    clock: Clock
    portal: Portal
    overview: Overview
    clients: ClientAdministration
    details: AccessDetails
    worker: DecisionWorker
    expiry: ExpiryJob
    projections: Projections

    async def arrive(
        self,
        *,
        request_type: ev.RequestType = ev.RequestType.STANDARD,
        party: str = PARTY,
        rights: tuple[str, ...] = ("ske-krav-og-betalinger",),
        packages: tuple[str, ...] = (),
        ttl: timedelta = timedelta(days=180),
        redirect_url: str | None = "https://smartcloud.example/receipt",
        request_id: uuid.UUID | None = None,
    ) -> str:
        request_id = request_id or uuid.uuid4()
        await self.projections.request_arrived(
            ev.SystemAccessRequested(
                request_id=request_id,
                request_type=request_type,
                system_id=SYSTEM,
                system_name={"nb": "SmartCloud", "en": "SmartCloud"},
                vendor_org_no=VENDOR,
                party_org_no=party,
                external_ref=str(request_id),
                integration_title="SmartCloud regnskap",
                rights=rights,
                access_packages=packages,
                redirect_url=redirect_url,
                created=self.clock.now,
                expires_at=self.clock.now + ttl,
            )
        )
        return str(request_id)

    async def approved_client_access(self) -> str:
        request_id = await self.arrive(
            request_type=ev.RequestType.AGENT, party=FACILITATOR, rights=(), packages=PACKAGES
        )
        await self.portal.decide(
            request_id, FACILITATOR, CLIENT_ADMIN, ev.Decision.APPROVE, ev.RequestType.AGENT
        )
        return request_id


@pytest.fixture
def approval() -> InMemoryApproval:
    return build_approval()


def build_approval(world: World | None = None) -> InMemoryApproval:
    """The service over ``world`` (the cast's world when None)."""
    world = world or load_world()
    repository, directory, clock = FakeRepository(), WorldDirectory(world), Clock()
    decisions = InlineDecisions()
    notifications = FakeNotifications([Notification(id="n1", title="Forespørsel", link="/x")])
    names = Names(world)
    worker = DecisionWorker(repository, directory, clock=clock)
    decisions.worker = worker
    return InMemoryApproval(
        repository=repository,
        directory=directory,
        decisions=decisions,
        notifications=notifications,
        clock=clock,
        portal=Portal(repository, repository, directory, names, decisions, decision_timeout=0.1),
        overview=Overview(repository, repository, directory, notifications, names),
        clients=ClientAdministration(repository, directory, names),
        details=AccessDetails(repository, repository, repository, repository, directory, names),
        worker=worker,
        expiry=ExpiryJob(repository, directory, clock=clock),
        projections=Projections(repository, repository),
    )

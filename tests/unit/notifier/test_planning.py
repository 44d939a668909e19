"""PlanNotifications: what an event schedules, with in-memory fakes."""

from __future__ import annotations

import json

import pytest

from services.notifier.domain.deliveries import Email, Webhook
from services.notifier.services.planning import PlanNotifications
from shared import events as ev

from .fakes import (
    FORWARDER,
    HOOK_URL,
    KARI,
    OLA,
    PORTAL,
    SYSTEM_ID,
    WORLD,
    FakeClock,
    InMemorySchedule,
    InMemorySystemCatalog,
    access_created,
    escalated,
    system,
)

pytestmark = pytest.mark.unit


def planning(schedule: InMemorySchedule, *systems: ev.SystemDescription) -> PlanNotifications:
    return PlanNotifications(
        schedule, InMemorySystemCatalog(*systems), WORLD, PORTAL, clock=FakeClock(1_000.0)
    )


class TestEscalation:
    async def test_emails_and_notifies_each_known_access_manager(self) -> None:
        schedule = InMemorySchedule()
        event = escalated(KARI.pid, OLA.pid, "99999999999")
        await planning(schedule, system()).escalation(event)
        plan = schedule.plans[event.event_id]
        emails = [job.message for job in plan.jobs if isinstance(job.message, Email)]
        assert len(emails) == len(plan.jobs)
        assert [email.to for email in emails] == [KARI.email, OLA.email]
        assert [n.pid for n in plan.portal_notifications] == [KARI.pid, OLA.pid]
        assert schedule.times[event.event_id] == 1_000.0

    async def test_names_the_system_vendor_party_and_forwarder(self) -> None:
        schedule = InMemorySchedule()
        event = escalated(KARI.pid)
        await planning(schedule, system()).escalation(event)
        notice = schedule.plans[event.event_id].portal_notifications[0]
        assert notice.title == "Forespørsel om systemtilgang fra SmartCloud AS er sendt videre til deg"
        said = "SmartCloud AS ber om systemtilgang for Tiger AS gjennom systemet «Skyregnskap»."
        assert said in notice.body
        assert f"{FORWARDER.name} har sendt forespørselen videre" in notice.body
        assert (
            notice.link
            == f"{PORTAL}/accessmanagement/ui/systemuser/request?id={event.request_id}&skiplogout=true"
        )

    async def test_falls_back_to_the_system_id_for_an_unknown_system(self) -> None:
        schedule = InMemorySchedule()
        event = escalated(KARI.pid)
        await planning(schedule).escalation(event)
        body = schedule.plans[event.event_id].portal_notifications[0].body
        assert f"gjennom systemet «{SYSTEM_ID}»." in body

    async def test_a_reminder_says_the_request_expires_soon(self) -> None:
        schedule = InMemorySchedule()
        base = escalated(KARI.pid)
        event = ev.EscalationReminderTriggered(
            request_id=base.request_id,
            request_type=base.request_type,
            system_id=base.system_id,
            vendor_org_no=base.vendor_org_no,
            party_org_no=base.party_org_no,
            access_managers=(KARI.pid,),
            expires_at=base.escalated_at,
        )
        await planning(schedule, system()).escalation(event)
        notice = schedule.plans[event.event_id].portal_notifications[0]
        assert notice.title.startswith("Påminnelse:")
        assert "utløper snart" in notice.body


class TestOutcome:
    async def test_sends_the_event_to_the_systems_webhook(self) -> None:
        schedule = InMemorySchedule()
        event = access_created()
        await planning(schedule, system()).outcome(event)
        (job,) = schedule.plans[event.event_id].jobs
        assert isinstance(job.message, Webhook)
        assert (job.message.url, job.message.event_type, job.delivery_id) == (
            HOOK_URL,
            "SystemAccessCreated",
            str(event.event_id),
        )
        assert json.loads(job.message.body)["data"]["requestId"] == str(event.request_id)

    @pytest.mark.parametrize("known", [system(webhook_url=None), None], ids=["no-webhook", "unknown-system"])
    async def test_without_a_webhook_records_the_event_as_handled(
        self, known: ev.SystemDescription | None
    ) -> None:
        schedule = InMemorySchedule()
        event = access_created()
        await planning(schedule, *([known] if known else [])).outcome(event)
        assert schedule.plans[event.event_id].jobs == ()

    async def test_a_redelivered_event_is_planned_the_same(self) -> None:
        first, again = InMemorySchedule(), InMemorySchedule()
        event = access_created()
        await planning(first, system()).outcome(event)
        await planning(again, system()).outcome(event)
        assert first.plans == again.plans


class TestLanguages:
    async def test_each_recipient_reads_the_email_in_their_own_language(self) -> None:
        nynorsk = KARI.model_copy(update={"language": "nn"})
        english = OLA.model_copy(update={"language": "en"})
        plain = FORWARDER  # no language given: bokmål
        world = WORLD.model_copy(update={"people": (nynorsk, english, plain)})
        schedule = InMemorySchedule()
        event = escalated(nynorsk.pid, english.pid, plain.pid)
        names = {"nb": "Skyregnskap", "nn": "Skyrekneskap", "en": "Cloud accounting"}
        described = system().model_copy(update={"name": names})
        await PlanNotifications(
            schedule, InMemorySystemCatalog(described), world, PORTAL, clock=FakeClock(1.0)
        ).escalation(event)
        plan = schedule.plans[event.event_id]
        by_person = {n.pid: n for n in plan.portal_notifications}
        emails = {job.message.to: job.message for job in plan.jobs if isinstance(job.message, Email)}

        nn_mail, en_mail, nb_mail = emails[nynorsk.email], emails[english.email], emails[plain.email]
        assert nn_mail.subject == "Førespurnad om systemtilgang frå SmartCloud AS er send vidare til deg"
        assert "gjennom systemet «Skyrekneskap»." in nn_mail.body
        assert "har sendt førespurnaden vidare" in nn_mail.body
        assert en_mail.subject == "A system access request from SmartCloud AS has been forwarded to you"
        assert "through the system «Cloud accounting»." in en_mail.body
        assert nb_mail.subject.startswith("Forespørsel om systemtilgang fra")
        assert by_person[english.pid].title == en_mail.subject
        assert by_person[english.pid].link.endswith("&lang=en")
        assert by_person[plain.pid].link.endswith("&skiplogout=true")

    async def test_every_language_has_every_email_text(self) -> None:
        from services.notifier.domain.email_texts import EMAIL_TEXTS

        keys = set(EMAIL_TEXTS["nb"])
        assert all(set(texts) == keys for texts in EMAIL_TEXTS.values())
        assert set(EMAIL_TEXTS) == {"nb", "nn", "en"}

"""The portal's pages over the in-memory services: languages, names, details, deletion, clients, errors."""

from __future__ import annotations

import re

import pytest

from services.approval.handlers.languages import choose_language, from_accept_language
from services.approval.handlers.texts import TEXTS
from shared import events as ev
from tests.unit.approval.conftest import (
    CLIENT_ADMIN,
    EMPLOYEE,
    FACILITATOR,
    MANAGER,
    PARTY,
    STRANGER,
    InMemoryApproval,
)
from tests.unit.approval.test_handlers import Portal

pytestmark = pytest.mark.unit
UI = "/accessmanagement/ui/systemuser"
TRYGG = "311543210"


def visible(html: str) -> str:
    """The page's text without tags, for asserting what a person reads."""
    return re.sub(r"\s+([,.:])", r"\1", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


class TestLanguages:
    @pytest.mark.parametrize(
        ("header", "want"),
        [
            ("nn-NO,nn;q=0.9,en;q=0.5", "nn"),
            ("en-GB,en;q=0.9", "en"),
            ("no", "nb"),
            ("de-DE,en;q=0.3,nb;q=0.7", "nb"),
            ("fr", None),
            ("nn;q=0, en", "en"),
            ("", None),
        ],
    )
    def test_accept_language_picks_the_best_portal_language(self, header: str, want: str | None) -> None:
        assert from_accept_language(header) == want

    def test_query_beats_cookie_beats_browser(self) -> None:
        assert choose_language("en", "nn", "nb") == "en"
        assert choose_language(None, "nn", "en") == "nn"
        assert choose_language("xx", None, "en") == "en"
        assert choose_language(None, None, None) == "nb"

    def test_every_language_has_every_text(self) -> None:
        keys = set(TEXTS["nb"])
        for lang, texts in TEXTS.items():
            assert set(texts) == keys, lang
            assert all(value.strip() for value in texts.values()), lang
        assert TEXTS["nn"]["escalated_heading"] != TEXTS["nb"]["escalated_heading"]

    @pytest.mark.parametrize(
        ("accept", "heading", "withdraw"),
        [
            ("nb-NO", "Godkjenn systemtilgang", "Du kan når som helst trekke tilbake godkjenningen"),
            ("nn-NO", "Godkjenn systemtilgang", "Du kan når som helst trekkje tilbake godkjenninga"),
            ("en-US", "Approve system access", "You can withdraw the approval at any time"),
        ],
    )
    async def test_the_request_page_follows_the_browser(
        self, approval: InMemoryApproval, accept: str, heading: str, withdraw: str
    ) -> None:
        request_id = await approval.arrive()
        client, _ = await Portal(approval).client(MANAGER)
        async with client:
            page = await client.get(f"{UI}/request?id={request_id}", headers={"Accept-Language": accept})
        assert page.status_code == 200
        assert f"<h1>{heading}</h1>" in page.text
        assert withdraw in page.text
        assert f'<html lang="{accept[:2]}">' in page.text

    async def test_a_chosen_language_sticks_in_a_cookie(self, approval: InMemoryApproval) -> None:
        client, _ = await Portal(approval).client(MANAGER)
        async with client:
            first = await client.get(f"{UI}/overview?lang=nn", headers={"Accept-Language": "en"})
            again = await client.get(f"{UI}/overview", headers={"Accept-Language": "en"})
        assert first.cookies["lang"] == "nn"
        assert "Eigne systemtilgangar" in again.text


class TestRequestPage:
    async def test_names_not_ids(self, approval: InMemoryApproval) -> None:
        request_id = await approval.arrive(packages=("urn:altinn:accesspackage:skattnaering",))
        client, _ = await Portal(approval).client("05816510068")  # lacks ske-krav-og-betalinger
        async with client:
            page = await client.get(f"{UI}/request?id={request_id}")
        text = visible(page.text)
        assert "Du mangler: Krav og betalinger" in text
        assert "Gir tilgang til: Krav og betalinger, MVA-melding" in text
        assert "ske-krav-og-betalinger" not in text

    async def test_after_a_forward_the_heading_says_it_was_forwarded(
        self, approval: InMemoryApproval
    ) -> None:
        request_id = await approval.arrive()
        client, session = await Portal(approval).client(EMPLOYEE)
        assert session is not None
        async with client:
            done = await client.post(
                f"{UI}/request/decide",
                data={"id": request_id, "decision": "escalate", "csrf_token": session.csrf_token},
            )
        assert "<h1>Forespørselen er videresendt</h1>" in done.text
        assert "Ja, send videre" not in done.text


async def _approved(approval: InMemoryApproval) -> str:
    access_id = await approval.arrive(rights=("ske-krav-og-betalinger", "nav-sykmelding"))
    await approval.portal.decide(access_id, PARTY, MANAGER, ev.Decision.APPROVE, ev.RequestType.STANDARD)
    return access_id


class TestOverviewAndDetails:
    async def test_overview_separates_own_and_client_accesses_by_name(
        self, approval: InMemoryApproval
    ) -> None:
        own = await _approved(approval)
        client, _ = await Portal(approval).client(MANAGER)
        async with client:
            page = await client.get(f"{UI}/overview")
        text = visible(page.text)
        assert "Egne systemtilganger" in text
        assert "Systemtilganger for klienter" in text
        assert "Krav og betalinger, Sykmelding" in text
        assert ">ske-krav-og-betalinger<" not in page.text
        assert f'href="{UI}/{own}/delete?party={PARTY}"' in page.text

    async def test_the_detail_page_shows_names_and_history(self, approval: InMemoryApproval) -> None:
        access_id = await _approved(approval)
        client, _ = await Portal(approval).client(MANAGER)
        async with client:
            page = await client.get(f"{UI}/{access_id}?party={PARTY}", headers={"Accept-Language": "en"})
        text = visible(page.text)
        assert page.status_code == 200
        assert "SMARTCLOUD AS requested the system access" in text
        assert "Approved by DRESS MINST" in text
        assert MANAGER not in text

    async def test_strangers_get_a_page_that_says_no(self, approval: InMemoryApproval) -> None:
        access_id = await _approved(approval)
        client, _ = await Portal(approval).client(STRANGER)
        async with client:
            page = await client.get(f"{UI}/{access_id}?party={PARTY}")
        assert page.status_code == 403
        assert "<h1>Ingen tilgang</h1>" in page.text


class TestDelete:
    async def test_slett_asks_first_and_then_deletes_with_the_csrf_token(
        self, approval: InMemoryApproval
    ) -> None:
        access_id = await _approved(approval)
        client, session = await Portal(approval).client(MANAGER)
        assert session is not None
        async with client:
            confirm = await client.get(f"{UI}/{access_id}/delete?party={PARTY}")
            forged = await client.post(f"{UI}/{access_id}/delete", data={"party": PARTY, "csrf_token": "x"})
            still_there = approval.repository.accesses[access_id].deleted
            done = await client.post(
                f"{UI}/{access_id}/delete", data={"party": PARTY, "csrf_token": session.csrf_token}
            )
            overview = await client.get(done.headers["location"])
            history = await client.get(f"{UI}/{access_id}?party={PARTY}")
        assert "Slette systemtilgangen?" in confirm.text
        assert "Ja, slett" in confirm.text
        assert (forged.status_code, still_there) == (403, False)
        assert "text/html" in forged.headers["content-type"]
        assert done.status_code == 303
        assert "er slettet" in overview.text
        assert "Slettet av DRESS MINST" in visible(history.text)

    async def test_confirming_a_client_access_names_the_clients_that_go(
        self, approval: InMemoryApproval
    ) -> None:
        access_id = await approval.approved_client_access()
        await approval.clients.add(FACILITATOR, access_id, CLIENT_ADMIN, [TRYGG])
        client, _ = await Portal(approval).client(CLIENT_ADMIN)
        async with client:
            confirm = await client.get(f"{UI}/{access_id}/delete?party={FACILITATOR}")
        text = visible(confirm.text)
        assert "Klientene som er lagt til, fjernes også: TRYGG BAKERI AS (311543210)" in text


class TestClientPage:
    async def test_search_add_all_and_own_organisation(self, approval: InMemoryApproval) -> None:
        access_id = await approval.approved_client_access()
        client, session = await Portal(approval).client(CLIENT_ADMIN)
        assert session is not None
        base = f"{UI}/agentdelegation/{access_id}"
        async with client:
            searched = await client.get(f"{base}?party={FACILITATOR}&q=bakeri")
            own = await client.post(
                f"{base}/add-own", data={"party": FACILITATOR, "csrf_token": session.csrf_token}
            )
            added = await client.post(
                f"{base}/add-all", data={"party": FACILITATOR, "csrf_token": session.csrf_token, "q": "x"}
            )
            after = await client.get(added.headers["location"])
        text = visible(searched.text)
        assert "TRYGG BAKERI AS" in text
        assert "STILLE ELV AS" not in text
        assert "Legg til alle (2)" in text
        assert "Regnskapsfører lønn" in text
        assert "Gir tilgang til: Sykmelding" in text
        assert "en virksomhet kan ikke gi seg selv disse klientpakkene" in text
        assert own.status_code == 400
        assert "Egen virksomhet kan ikke legges til" in own.text
        assert added.headers["location"].endswith("q=x")
        assert sorted(await approval.repository.clients_of(access_id)) == sorted([TRYGG, PARTY])
        assert "Treff for «x»" in after.text  # the search is kept after the change

    async def test_small_pages_get_a_pager(self, approval: InMemoryApproval) -> None:
        access_id = await approval.approved_client_access()
        client, _ = await Portal(approval).client(CLIENT_ADMIN)
        async with client:
            first = await client.get(f"{UI}/agentdelegation/{access_id}?party={FACILITATOR}&size=1")
            second = await client.get(
                f"{UI}/agentdelegation/{access_id}?party={FACILITATOR}&size=1&addable_page=2"
            )
        assert "Side 1 av 2" in first.text
        assert "Neste side" in first.text
        assert "Side 2 av 2" in second.text
        assert "Forrige side" in second.text
        assert "addable_page=2" in first.text


class TestErrorPages:
    async def test_page_errors_are_pages_and_bff_errors_stay_json(self, approval: InMemoryApproval) -> None:
        client, _ = await Portal(approval).client(MANAGER)
        async with client:
            missing = await client.get("/accessmanagement/ui/nowhere", headers={"Accept-Language": "nn"})
            bad = await client.get(f"{UI}/request")  # no id
            bff = await client.get("/accessmanagement/api/v1/nowhere")
        assert (missing.status_code, bad.status_code) == (404, 400)
        assert "Fann ikkje sida." in missing.text
        assert "text/html" in bad.headers["content-type"]
        assert bff.headers["content-type"] == "application/problem+json"

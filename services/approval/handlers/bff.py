"""The JSON BFF of the portal (Altinn's shapes under /accessmanagement/api/v1)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from shared import events as ev

from .deps import ActiveSession, Context, CsrfSession, Lang, enforce
from .leaving import end_session_and_redirect
from .pages import KINDS
from .schemas import DecisionTaken, Me, PartyRef, RequestView

__all__ = ["BFF", "router"]

BFF = "/accessmanagement/api/v1"

router = APIRouter(prefix=BFF, tags=["bff"])


@router.get("/me")
async def me(context: Context, session: ActiveSession) -> Me:
    assert session.pid is not None
    person = await context.directory.person(session.pid)
    parties = await context.directory.parties(session.pid)
    return Me(
        pid=session.pid,
        name=person.name if person else "",
        parties=[PartyRef(org_no=p.org_no, name=p.name) for p in parties],
        csrf_token=session.csrf_token,
    )


def _request_routes(kind: str, request_type: ev.RequestType) -> None:
    """The same three routes under systemuser/request/ and systemuser/agentrequest/."""

    @router.get(f"/systemuser/{kind}/{{request_id}}", name=f"get_{kind}")
    async def get_request(
        request_id: str, context: Context, session: ActiveSession, lang: Lang
    ) -> RequestView:
        assert session.pid is not None
        return RequestView.of(await context.portal.view(request_id, session.pid, request_type, lang), lang)

    @router.post(f"/systemuser/{kind}/{{party_id}}/{{request_id}}/{{action}}", name=f"decide_{kind}")
    async def decide(
        party_id: str, request_id: str, action: ev.Decision, context: Context, session: CsrfSession
    ) -> DecisionTaken:
        assert session.pid is not None
        await enforce(context, context.decision_limit, session.pid)
        outcome = await context.portal.decide(request_id, party_id, session.pid, action, request_type)
        return DecisionTaken(id=request_id, outcome=outcome.value)

    # A POST with the CSRF header: a link on another site can neither log the user out nor
    # bounce the browser through the portal to a vendor's page.
    @router.post(
        f"/systemuser/{kind}/{{request_id}}/logout",
        name=f"logout_{kind}",
        status_code=303,
        response_class=RedirectResponse,
        responses={
            303: {
                "description": "The session is ended; Location is the identity provider's logout, "
                "then the request's redirect URL (re-checked) or the logged-out page",
                "headers": {"Location": {"schema": {"type": "string"}}},
            }
        },
    )
    async def logout_and_redirect(request_id: str, context: Context, session: CsrfSession) -> Response:
        return await end_session_and_redirect(context, session, request_id)


for _kind, _type in KINDS.items():
    _request_routes(_kind, _type)

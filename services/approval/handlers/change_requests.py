"""The change request page, its decision, and the BFF routes for it (Altinn's ``changerequest``).

Installed before the request pages: their ``/systemuser/{kind}/...`` routes would otherwise
take ``changerequest`` for a kind.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from shared import events as ev
from shared.problems import Problem

from ..domain.refusals import Refused
from ..services.change_requests import ChangePageModel, ChangeRequestPortal
from ..services.naming import NamedItem
from .deps import (
    ActiveSession,
    Context,
    CsrfSession,
    Lang,
    MaybeSession,
    PortalContext,
    csrf_refused,
    enforce,
    require_form_csrf,
)
from .leaving import end_session_and_redirect_to
from .rendering import login_redirect, page_not_shown, refusal_page, render
from .schemas import Body, DecisionTaken, PackageRef, RightRef, Vendor
from .security import HOME
from .texts import texts_for

__all__ = ["ChangeRequestView", "bff", "pages"]

UI = "/accessmanagement/ui/systemuser/changerequest"
BFF = "/accessmanagement/api/v1/systemuser/changerequest"

pages = APIRouter(prefix=UI, include_in_schema=False)
bff = APIRouter(prefix=BFF, tags=["bff"])


def _changes(context: PortalContext) -> ChangeRequestPortal:
    if context.changes is None:
        raise Problem(404, "Not Found")
    return context.changes


class ChangeRequestView(Body):
    id: str
    system_user_id: str
    system_user_type: str
    status: str
    party_org_no: str
    party_name: str
    vendor: Vendor
    system_name: str
    integration_title: str
    rights_added: list[RightRef]
    access_packages_added: list[PackageRef]
    rights_removed: list[RightRef]
    access_packages_removed: list[PackageRef]
    created: str
    user_may_approve: bool
    missing_rights: list[str]
    missing_access_packages: list[str]
    language: str

    @classmethod
    def of(cls, model: ChangePageModel, lang: str) -> ChangeRequestView:
        return cls(
            id=model.id,
            system_user_id=model.access_id,
            system_user_type=model.request_type.value,
            status=model.status.value,
            party_org_no=model.party_org_no,
            party_name=model.party_name,
            vendor=Vendor(org_no=model.vendor_org_no, name=model.vendor_name),
            system_name=model.system_name,
            integration_title=model.integration_title,
            rights_added=_rights(model.added),
            access_packages_added=_packages(model.added),
            rights_removed=_rights(model.removed),
            access_packages_removed=_packages(model.removed),
            created=model.created.isoformat(),
            user_may_approve=model.may_decide,
            missing_rights=list(model.verdict.missing_rights),
            missing_access_packages=list(model.verdict.missing_packages),
            language=lang,
        )


def _is_package(item: NamedItem) -> bool:
    return item.id.startswith("urn:altinn:accesspackage:")


def _rights(items: list[NamedItem]) -> list[RightRef]:
    return [RightRef(resource=i.id, name=i.name) for i in items if not _is_package(i)]


def _packages(items: list[NamedItem]) -> list[PackageRef]:
    return [PackageRef(urn=i.id, name=i.name) for i in items if _is_package(i)]


# -- pages -----------------------------------------------------------------------------------------


@pages.get("")
async def change_request_page(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Query(max_length=64)],
    skiplogout: bool = False,
) -> Response:
    if session is None or session.pid is None:
        return login_redirect(request)
    t = texts_for(lang)
    person = await context.directory.person(session.pid)
    try:
        model = await _changes(context).view(id, session.pid, lang)
    except Refused as refused:
        return page_not_shown(request, lang, session, refused, person, "change_not_found")
    return render(
        request,
        "changerequest.html",
        lang,
        session,
        heading=t["change_heading"],
        req=model,
        person=person,
        decide_action=f"{UI}/decide",
        leave_action=f"{UI}/{model.id}/leave",
        skip_logout=skiplogout,
    )


@pages.post("/decide")
async def decide_from_page(
    request: Request,
    context: Context,
    lang: Lang,
    session: MaybeSession,
    id: Annotated[str, Form(max_length=64)],
    decision: Annotated[ev.Decision, Form()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    skiplogout: Annotated[bool, Form()] = False,
) -> Response:
    changes = _changes(context)
    active = require_form_csrf(session, csrf_token)
    assert active.pid is not None
    person = await context.directory.person(active.pid)
    await enforce(context, context.decision_limit, active.pid)
    party = await changes.party_of(id)
    try:
        await changes.decide(id, party, active.pid, decision)
    except Refused as refused:
        return refusal_page(request, lang, active, refused.refusal, person)
    if skiplogout:
        return RedirectResponse(HOME, status_code=303)
    return await end_session_and_redirect_to(context, active, await changes.redirect_target(id))


@pages.post("/{change_request_id}/leave")
async def leave(
    change_request_id: str,
    context: Context,
    session: MaybeSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if session is not None and not session.csrf_matches(csrf_token):
        raise csrf_refused()
    target = await _changes(context).redirect_target(change_request_id)
    return await end_session_and_redirect_to(context, session, target)


# -- BFF -------------------------------------------------------------------------------------------


@bff.get("/{change_request_id}")
async def get_change_request(
    change_request_id: str, context: Context, session: ActiveSession, lang: Lang
) -> ChangeRequestView:
    assert session.pid is not None
    return ChangeRequestView.of(await _changes(context).view(change_request_id, session.pid, lang), lang)


@bff.post("/{party_id}/{change_request_id}/{action}")
async def decide(
    party_id: str, change_request_id: str, action: ev.Decision, context: Context, session: CsrfSession
) -> DecisionTaken:
    assert session.pid is not None
    await enforce(context, context.decision_limit, session.pid)
    outcome = await _changes(context).decide(change_request_id, party_id, session.pid, action)
    return DecisionTaken(id=change_request_id, outcome=outcome.value)


@bff.post(
    "/{change_request_id}/logout",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {
            "description": "The session is ended; Location is the identity provider's logout, "
            "then the change request's redirect URL (re-checked) or the logged-out page",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    },
)
async def logout_and_redirect(change_request_id: str, context: Context, session: CsrfSession) -> Response:
    target = await _changes(context).redirect_target(change_request_id)
    return await end_session_and_redirect_to(context, session, target)

"""How a request enters approval, and how it is withdrawn."""

from __future__ import annotations

from shared import events as ev

from .models import RequestStatus, SystemAccessRequest

__all__ = ["request_from_event", "withdraw"]


def request_from_event(event: ev.SystemAccessRequested) -> SystemAccessRequest:
    return SystemAccessRequest(
        id=str(event.request_id),
        request_type=event.request_type,
        system_id=event.system_id,
        system_name=event.system_name,
        vendor_org_no=event.vendor_org_no,
        party_org_no=event.party_org_no,
        external_ref=event.external_ref,
        integration_title=event.integration_title,
        rights=event.rights,
        access_packages=event.access_packages,
        redirect_url=event.redirect_url,
        created=event.created,
        expires_at=event.expires_at,
    )


def withdraw(request: SystemAccessRequest | None) -> SystemAccessRequest | None:
    """Only a pending request can be withdrawn; None means nothing changes."""
    if request is None or request.status is not RequestStatus.NEW:
        return None
    return request.model_copy(update={"status": RequestStatus.WITHDRAWN})

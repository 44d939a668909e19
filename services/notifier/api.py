"""The notifier's small internal HTTP API: a person's in-portal inbox (used by the portal)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from shared.problems import Problem

from .store import NotifierStore

router = APIRouter(prefix="/internal/v1", tags=["inbox"])


def internal_caller(request: Request) -> None:
    expected: str = request.app.state.internal_token
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not offered or not hmac.compare_digest(offered, expected):
        raise Problem(401, "Unauthorized", "The internal API needs the service token")


def store(request: Request) -> NotifierStore:
    return request.app.state.notifier_store  # type: ignore[no-any-return]


Store = Annotated[NotifierStore, Depends(store)]


@router.get("/inbox/{pid}", dependencies=[Depends(internal_caller)])
async def inbox(pid: str, notifier: Store) -> dict[str, Any]:
    entries = await notifier.inbox(pid)
    return {"pid": pid, "unread": sum(1 for e in entries if not e["read"]), "items": entries}


@router.post("/inbox/{pid}/{notification_id}/read", dependencies=[Depends(internal_caller)])
async def mark_read(pid: str, notification_id: str, notifier: Store) -> dict[str, bool]:
    if not await notifier.mark_read(pid, notification_id):
        raise Problem(404, "Not Found", "No such notification for this person")
    return {"read": True}

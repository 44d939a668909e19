"""Full flows as a vendor and an end user would drive them: POST, then decide through the BFF.

Retries like a real client: connection errors and 5xx are retried, a 404 means "not known to
the portal yet", and AUTH-00013 after a retry means an earlier attempt already decided.

People log in through the provider with httpx (a few round trips per run); the flows themselves
go over ``sysaccess.http_lite`` keep-alive connections, so the load generator costs little CPU
per flow. With several instances of a service (``LocalStack(instances=2)``), flow ``i`` posts to
intake ``i mod n`` and decides through portal ``i mod n``.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from sysaccess.http_lite import LiteClient
from sysaccess.portal_login import LoginFailed
from sysaccess.stack import LocalStack

DRESS_MINST = "12887010186"
SPRUDLENDE_KANIN = "21927110056"
TIGER = "310614289"
REQUESTS = "/authentication/api/v1/systemuser/request/vendor"


def decision_for(index: int) -> str:
    """90% approve, 5% reject, 5% escalate, spread evenly through a run."""
    slot = index % 20
    return "reject" if slot == 7 else "escalate" if slot == 13 else "approve"


@dataclass
class FlowResult:
    index: int
    decision: str
    request_id: str | None = None
    posted_at: float = 0.0
    posted_t0: float = 0.0  # perf_counter at the first POST, for latency
    decided_at: float = 0.0
    error: str | None = None


@dataclass
class FlowDriver:
    stack: LocalStack
    system_id: str
    run_id: str
    deadline_seconds: float = 180.0
    # Per portal instance: person -> (client with the session's cookies, CSRF token).
    sessions: list[dict[str, tuple[LiteClient, str]]] = field(default_factory=list)
    vendors: list[LiteClient] = field(default_factory=list)
    accepted: int = 0
    # HTTP calls made, to show what a flow costs the services beyond its one POST and one decision
    # (a decision the portal cannot take yet, 404, is asked again).
    posts: int = 0
    decisions: int = 0
    issued: int = 0  # flow indexes handed out so far, so every flow gets its own external reference

    async def open(self) -> None:
        self.vendors = [LiteClient(url) for url in self.stack.intakes]
        for portal in self.stack.portals:
            self.sessions.append(
                {pid: await self._login(portal, pid) for pid in (DRESS_MINST, SPRUDLENDE_KANIN)}
            )

    async def close(self) -> None:
        for client in self.vendors:
            await client.aclose()
        for sessions in self.sessions:
            for client, _ in sessions.values():
                await client.aclose()

    async def _login(self, portal: str, pid: str) -> tuple[LiteClient, str]:
        for attempt in range(200):
            try:
                client, csrf = await self.stack.login(pid, portal)
                try:
                    lite = LiteClient(portal)
                    lite.cookies.update({name: value for name, value in client.cookies.items() if value})
                finally:
                    await client.aclose()
                return lite, csrf
            except (httpx.HTTPError, LoginFailed):
                await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
        raise RuntimeError(f"could not log in {pid}")

    def body(self, index: int) -> dict[str, Any]:
        return {
            "systemId": self.system_id,
            "partyOrgNo": TIGER,
            "externalRef": f"{self.run_id}-{index}",
            "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
            "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
            "redirectUrl": "https://smartcloud.example/receipt",
        }

    async def run(self, index: int) -> FlowResult:
        result = FlowResult(index, decision_for(index))
        deadline = time.monotonic() + self.deadline_seconds
        result.posted_at = time.monotonic()
        result.posted_t0 = time.perf_counter()
        result.request_id = await self._post(index, deadline)
        if result.request_id is None:
            result.error = "request not accepted"
            return result
        self.accepted += 1
        outcome = await self._decide(index, result.request_id, result.decision, deadline)
        result.decided_at = time.monotonic()
        if outcome is not None:
            result.error = outcome
        return result

    async def _post(self, index: int, deadline: float) -> str | None:
        vendor = self.vendors[index % len(self.vendors)]
        body = self.body(index)
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            try:
                # The token source renews the provider token before it expires.
                auth = {"Authorization": f"Bearer {self.stack.vendor_token}"}
                self.posts += 1
                response = await vendor.post(REQUESTS, json_body=body, headers=auth)
                if response.status_code in (200, 201):
                    request_id: str = response.json()["id"]
                    return request_id
            except (ConnectionError, TimeoutError, ValueError, KeyError):
                pass
            await asyncio.sleep(min(0.1 * attempt, 2.0) + random.random() * 0.1)
        return None

    async def _decide(self, index: int, request_id: str, decision: str, deadline: float) -> str | None:
        pid = SPRUDLENDE_KANIN if decision == "escalate" else DRESS_MINST
        portal = index % len(self.sessions)
        sessions = self.sessions[portal]
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            client, csrf = sessions[pid]
            try:
                self.decisions += 1
                response = await client.post(
                    f"/accessmanagement/api/v1/systemuser/request/{TIGER}/{request_id}/{decision}",
                    headers={"X-CSRF-Token": csrf},
                )
                if response.status_code == 200:
                    return None
                code = (
                    response.json().get("code")
                    if response.headers.get("content-type", "").startswith("application/problem+json")
                    else None
                )
                if response.status_code == 400 and code in ("AUTH-00013", "AUTH-00067") and attempt > 1:
                    return None  # an earlier attempt was applied; its answer was lost
                if response.status_code == 401:
                    await client.aclose()
                    sessions[pid] = await self._login(self.stack.portals[portal], pid)
                if response.status_code == 404:
                    # The portal has not consumed the request's event yet: look again soon, backing
                    # off so that a lagging portal is not buried in retries.
                    await asyncio.sleep(min(0.02 * 2 ** min(attempt, 6), 1.0))
                    continue
            except (ConnectionError, TimeoutError, ValueError):
                pass
            await asyncio.sleep(min(0.1 * attempt, 2.0) + random.random() * 0.1)
        return "decision not confirmed"

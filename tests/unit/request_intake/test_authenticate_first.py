"""No byte of a vendor's body is read before its token is accepted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from services.request_intake.domain.vendors import Vendor
from services.request_intake.handlers.auth_first import AuthenticateFirst
from shared.bodylimit import BodyLimit
from shared.jwks import TokenRefused

pytestmark = pytest.mark.unit
PREFIX = "/authentication/api/v1"


async def verify(token: str) -> Vendor:
    if token != "good":
        raise TokenRefused("unknown signing key")
    return Vendor("314000110", frozenset())


def app_counting_reads() -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    app.add_middleware(AuthenticateFirst, prefix=PREFIX, verify=verify)
    app.add_middleware(BodyLimit, default=64 * 1024)
    read: list[int] = []

    @app.post(f"{PREFIX}/things")
    async def things(request: Request) -> dict[str, int]:
        read.append(len(await request.body()))
        return {"read": read[-1]}

    return app, read


class Body:
    def __init__(self) -> None:
        self.chunks_read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(100):
            self.chunks_read += 1
            yield b"x" * 1024


@pytest.mark.parametrize("authorization", [None, "Bearer forged", "Basic abc", "Bearer "])
async def test_no_body_is_read_for_an_unauthenticated_caller(authorization: str | None) -> None:
    app, read = app_counting_reads()
    body = Body()
    headers = {"authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post(f"{PREFIX}/things", content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "AUTH-00023"
    assert read == []
    assert body.chunks_read <= 1  # the test client may hand over its first chunk; the app reads none


async def test_an_oversized_body_is_413_before_authentication() -> None:
    app, read = app_counting_reads()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post(f"{PREFIX}/things", content=b"x" * (3 * 1024 * 1024))
    assert answer.status_code == 413
    assert read == []


async def test_an_authenticated_caller_is_served() -> None:
    app, _ = app_counting_reads()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post(
            f"{PREFIX}/things", content=b"{}", headers={"authorization": "Bearer good"}
        )
    assert answer.json() == {"read": 2}

"""Bodies over the limit get 413 problem+json before the application reads or parses them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from shared.bodylimit import BodyLimit
from shared.problems import install_problem_handlers

pytestmark = pytest.mark.unit
LIMIT = 64 * 1024


def app_recording_calls() -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, default=LIMIT, by_prefix=[("/bulk", 4 * LIMIT)])
    calls: list[str] = []

    @app.post("/items")
    async def items(body: dict[str, str]) -> dict[str, int]:
        calls.append("items")
        return {"fields": len(body)}

    @app.post("/bulk")
    async def bulk(request: Request) -> dict[str, int]:
        calls.append("bulk")
        return {"bytes": len(await request.body())}

    return app, calls


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    app, calls = app_recording_calls()
    async with client(app) as http:
        response = await http.post("/items", content=b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "BODY-TOO-LARGE"
    assert calls == []


async def test_a_chunked_body_without_length_is_cut_off_at_the_limit() -> None:
    app, _ = app_recording_calls()
    async with client(app) as http:
        response = await http.post("/items", content=chunks(LIMIT * 4))
    assert response.status_code == 413
    assert response.json()["status"] == 413


async def test_bodies_within_the_limit_pass_and_prefixes_have_their_own_limit() -> None:
    app, calls = app_recording_calls()
    async with client(app) as http:
        small = await http.post("/items", json={"a": "b"})
        bulk = await http.post("/bulk", content=b"x" * (2 * LIMIT))
        too_big = await http.post("/bulk", content=chunks(5 * LIMIT))
    assert small.status_code == 200
    assert bulk.json() == {"bytes": 2 * LIMIT}
    assert too_big.status_code == 413
    assert calls == ["items", "bulk", "bulk"]


@pytest.mark.parametrize("length", ["-1", "12abc", "99999999999999999999"])
async def test_a_malformed_or_huge_length_is_refused(length: str) -> None:
    app, calls = app_recording_calls()
    async with client(app) as http:
        response = await http.post("/items", content=b"{}", headers={"content-length": length})
    assert response.status_code == 413
    assert calls == []

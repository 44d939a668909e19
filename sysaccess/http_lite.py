"""A small HTTP/1.1 client with keep-alive connections, for the load generator.

The load generator should measure the system rather than itself: httpx spends about a
millisecond of CPU per request on features a benchmark does not need (auth flows, cookie jars,
redirects, URL objects). This client writes a request line and headers, reads a status line,
headers and a ``Content-Length`` or chunked body, and keeps the connection for the next request.
Loopback only; no TLS, no redirects, no proxies.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LiteClient", "LiteResponse"]


@dataclass(frozen=True)
class LiteResponse:
    status_code: int
    headers: dict[str, str]
    """Lower-case names; a repeated header keeps its last value (``set-cookie``: joined by newlines)."""
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class LiteClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        max_connections: int = 200,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"plain http URLs only: {base_url}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self._fixed = f"Host: {self.host}:{self.port}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in (headers or {}).items()
        )
        self._idle: list[_Connection] = []
        # Like a browser's or httpx's pool: past this many requests in flight, the next waits.
        self._slots = asyncio.Semaphore(max_connections)
        self.cookies: dict[str, str] = {}

    async def post(
        self, path: str, *, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> LiteResponse:
        body = b"" if json_body is None else json.dumps(json_body, separators=(",", ":")).encode()
        extra = dict(headers or {})
        if json_body is not None:
            extra["Content-Type"] = "application/json"
        return await self.request("POST", path, body, extra)

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> LiteResponse:
        return await self.request("GET", path, b"", headers or {})

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> LiteResponse:
        """Send one request; raises ``ConnectionError`` or ``TimeoutError`` when it could not be done."""
        async with self._slots:
            return await self._request(method, path, body, headers)

    async def _request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> LiteResponse:
        head = [f"{method} {path} HTTP/1.1\r\n", self._fixed, f"Content-Length: {len(body)}\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in headers.items()]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n")
        head.append("\r\n")
        payload = "".join(head).encode("latin-1") + body
        reused = bool(self._idle)
        connection = self._idle.pop() if reused else await self._connect()
        try:
            response, keep = await asyncio.wait_for(self._exchange(connection, payload), self.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            connection[1].close()
            if reused:  # the server may have closed an idle connection: once more on a fresh one
                return await self._request(method, path, body, headers)
            raise ConnectionError(repr(exc)) from exc
        except TimeoutError:
            connection[1].close()
            raise
        if keep:
            self._idle.append(connection)
        else:
            connection[1].close()
        return response

    async def _connect(self) -> _Connection:
        try:
            return await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        except OSError as exc:
            raise ConnectionError(repr(exc)) from exc

    async def _exchange(self, connection: _Connection, payload: bytes) -> tuple[LiteResponse, bool]:
        reader, writer = connection
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, cookie_value = cookie.partition("=")
                self.cookies[key.strip()] = cookie_value.strip()
                headers[name] = f"{headers[name]}\n{value}" if name in headers else value
            else:
                headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked(reader)
        else:
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        keep = headers.get("connection", "").lower() != "close"
        return LiteResponse(status, headers, content), keep

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def aclose(self) -> None:
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()

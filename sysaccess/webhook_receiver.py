"""A vendor's webhook receiver: a real HTTP server on loopback that records every delivery (tests, chaos).

Besides answering with a status (``fail_with``), a receiver can be hostile (tests of the
notifier's limits): ``trickle_seconds`` answers one byte every so many seconds, and
``answer_bytes`` answers 200 with a body that large. Each one listens on its own loopback
address when given ``host`` (any of 127.0.0.0/8), so the notifier sees a host of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHUNK = 64 * 1024


@dataclass
class Delivery:
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes
    at: float
    """``time.monotonic()`` when it arrived."""
    received: float = field(default_factory=time.time)
    """Wall-clock time when it arrived."""


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    fail_with: int | None = None
    trickle_seconds: float | None = None
    answer_bytes: int = 0
    bytes_answered: int = 0


def _trickle(handler: BaseHTTPRequestHandler, every: float) -> None:
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 10\r\n\r\nslow-hello"
    try:
        for byte in answer:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)
    except OSError:
        return  # the notifier gave up and closed the connection


def _huge(handler: BaseHTTPRequestHandler, receiver: Receiver, size: int) -> None:
    handler.send_response(200)
    handler.send_header("content-type", "application/octet-stream")
    handler.send_header("content-length", str(size))
    handler.end_headers()
    chunk = b"x" * CHUNK
    try:
        left = size
        while left > 0:
            piece = chunk[: min(CHUNK, left)]
            handler.wfile.write(piece)
            left -= len(piece)
            receiver.bytes_answered += len(piece)
    except OSError:
        return  # the notifier read what it wanted and closed the connection


@contextmanager
def webhook_receiver(
    fail_with: int | None = None,
    *,
    host: str = "127.0.0.1",
    trickle_seconds: float | None = None,
    answer_bytes: int = 0,
) -> Iterator[Receiver]:
    receiver = Receiver(
        url="", fail_with=fail_with, trickle_seconds=trickle_seconds, answer_bytes=answer_bytes
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                receiver.deliveries.append(Delivery(headers, body, time.monotonic()))
            if receiver.trickle_seconds is not None:
                self.close_connection = True
                _trickle(self, receiver.trickle_seconds)
            elif receiver.answer_bytes:
                self.close_connection = True
                _huge(self, receiver, receiver.answer_bytes)
            else:
                self.send_response(receiver.fail_with or 204)
                self.send_header("content-length", "0")
                self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, 0), Handler)
    receiver.url = f"http://{host}:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

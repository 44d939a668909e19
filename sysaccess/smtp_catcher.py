"""A local SMTP server that stores every message as an .eml file (development and tests).

Messages are named by a hash of their Message-ID, so a message resent with the same id (as
the notifier does after a crash) is stored once, as a receiving mail system would deduplicate.
Every receipt is also appended to ``received.log`` so tests can count raw deliveries.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import signal
import uuid
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        content: bytes = envelope.original_content or envelope.content
        message_id = message_from_bytes(content).get("Message-ID") or f"<{uuid.uuid4()}@catcher>"
        name = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(self.folder / f"{name}.eml")
        with (self.folder / "received.log").open("a") as log:
            log.write(f"{message_id}\t{','.join(envelope.rcpt_tos)}\n")
        return "250 Message accepted"


def serve(host: str, port: int, folder: Path) -> None:
    controller = Controller(MailFolder(folder), hostname=host, port=port)
    controller.start()
    stop = asyncio.Event()

    async def wait() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    serve(args.host, args.port, args.dir)


if __name__ == "__main__":
    main()

"""SSRF through webhookUrl against real components: the vendor API refuses the corpus at
registration, and the notifier's real sender, on real sockets, never connects to any of it.

The send-time half points every corpus URL at a TCP listener on 127.0.0.1 (its port written
into the URL, names resolved to 127.0.0.1 by a test resolver): the listener counts the
connections it accepts. With the local loopback setting on, the same sender does reach it,
so its count of zero without the setting means something.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from ipaddress import ip_address
from urllib.parse import urlsplit, urlunsplit

import pytest

from services.notifier.domain.deliveries import DeliveryFailed, Webhook
from services.notifier.storage.webhook_transport import guarded_client
from services.notifier.storage.webhooks import HttpWebhookSender
from shared.webhook_targets import IPAddress
from shared.webhooks import new_secret
from tests.conftest import SMARTCLOUD, RunningIntake, TokenFactory
from tests.integration.test_intake_api import BASE, assert_problem, system_body
from tests.unit.test_webhook_targets import CORPUS, RESOLVE_ONLY, RESOLVES_TO


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


class LoopbackResolver:
    """Every name of the corpus resolves to 127.0.0.1, where the listener waits."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        if host not in RESOLVES_TO:
            raise OSError(f"no such name {host}")
        return [ip_address("127.0.0.1")]


def at_port(url: str, port: int) -> str:
    """``url`` with its port replaced by ``port`` (left as it is when it has no usable host)."""
    try:
        parts = urlsplit(url)
        if not parts.hostname:
            return url
    except ValueError:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host = hostport[: hostport.index("]") + 1] if hostport.startswith("[") else hostport.split(":")[0]
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def sender(*, allow_loopback: bool) -> HttpWebhookSender:
    secret = new_secret()

    async def signing_secrets(system_id: str) -> list[str]:
        return [secret]

    client = guarded_client(LoopbackResolver(), allow_loopback=allow_loopback)
    return HttpWebhookSender(client, signing_secrets, deadline_seconds=2, allow_loopback_http=allow_loopback)


async def test_the_real_sender_connects_to_no_corpus_url(listener: Listener) -> None:
    refused = 0
    for url in CORPUS:
        with pytest.raises(DeliveryFailed):
            await sender(allow_loopback=False).send("d", Webhook(at_port(url, listener.port), "x", "X", "{}"))
        refused += 1
    assert refused == len(CORPUS)
    assert listener.accepted == 0, "a corpus URL was connected to"
    # The control: with the local setting, the same sender reaches the listener.
    with pytest.raises(DeliveryFailed):  # it accepts and hangs up without an answer
        await sender(allow_loopback=True).send(
            "d", Webhook(f"http://127.0.0.1:{listener.port}/", "x", "X", "{}")
        )
    assert listener.accepted >= 1


async def test_the_vendor_api_refuses_the_corpus_at_registration(
    intake: RunningIntake, token_for: TokenFactory
) -> None:
    assert not intake.settings.allow_loopback_http_webhooks
    auth = intake.auth(token_for())
    for url in CORPUS:
        system_id = f"{SMARTCLOUD}_ssrf{uuid.uuid4().hex[:8]}"
        response = await intake.client.post(
            f"{BASE}/systemregister/vendor", json=system_body(system_id, webhookUrl=url), headers=auth
        )
        if urlsplit(url).hostname in RESOLVE_ONLY:
            assert response.status_code == 201, (url, response.text)  # only DNS tells; the notifier refuses
        else:
            assert_problem(response, 400, "AUTH.VLD-00005")

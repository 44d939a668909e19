"""SSRF through webhookUrl: a corpus of hostile URLs, each refused at registration or at send
time, and none ever connected to.

The send-time proof runs the notifier's real sender and HTTP client (``guarded_client``) over
a resolver of our own (names that resolve to loopback, private or metadata addresses) and an
inner network backend that records every connection it is asked to open instead of opening it.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address
from typing import ClassVar
from urllib.parse import urlsplit

import httpcore
import pytest

from services.notifier.domain.deliveries import DeliveryFailed, Webhook
from services.notifier.storage.webhook_transport import GuardedNetworkBackend, TargetRefused, guarded_client
from services.notifier.storage.webhooks import HttpWebhookSender
from shared.webhook_targets import (
    IPAddress,
    address_refusal,
    host_refusal,
    literal_address,
    webhook_url_refusal,
)
from shared.webhooks import new_secret

pytestmark = pytest.mark.unit

PUBLIC = "93.184.215.14"

# Names that look public, so registration accepts them, and that our test resolver answers
# with addresses inside our own networks: only the send-time check can refuse them.
RESOLVES_TO: dict[str, list[str]] = {
    "127.0.0.1.nip.io": ["127.0.0.1"],
    "rebind.smartcloud.example": ["127.0.0.1"],
    "internal.smartcloud.example": ["10.0.0.7"],
    "metadata.smartcloud.example": ["169.254.169.254"],
    "cgnat.smartcloud.example": ["100.64.1.1"],
    "mixed.smartcloud.example": [PUBLIC, "127.0.0.1"],
    "v6.smartcloud.example": ["::1"],
    "mapped.smartcloud.example": ["::ffff:127.0.0.1"],
    "ula.smartcloud.example": ["fd00::5"],
    "unspecified.smartcloud.example": ["0.0.0.0"],
    # Names an attacker would hope to reach on an internal network.
    "redis": ["10.0.0.2"],
    "notifier": ["10.0.0.3"],
    "kafka": ["10.0.0.4"],
    "localhost": ["127.0.0.1"],
    "sub.localhost": ["127.0.0.1"],
    "metadata.google.internal": ["169.254.169.254"],
    "printer.local": ["192.168.1.20"],
    "router.home.arpa": ["192.168.1.1"],
}
RESOLVE_ONLY = {host for host in RESOLVES_TO if "smartcloud.example" in host or host.endswith("nip.io")}

CORPUS = [
    # IPv4 loopback in every spelling inet_aton and browsers accept
    "https://127.0.0.1/hook",
    "https://127.0.0.1:8443/hook",
    "https://127.1/",
    "https://127.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7F000001/",
    "https://0x7f.0.0.1/",
    "https://0x7f.1/",
    "https://0177.0.0.1/",
    "https://0177.0000.0000.0001/",
    "https://017700000001/",
    "https://127.000.000.001/",
    "https://127.0.0.255/",
    # unspecified, private, link-local, carrier-grade NAT, multicast, reserved, special
    "https://0/",
    "https://0.0.0.0/",
    "https://10.0.0.1/",
    "https://10.1/",
    "https://10.255.255.254/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://192.168.257/",
    "https://169.254.169.254/latest/meta-data",
    "https://169.254.0.1/",
    "https://0xa9fea9fe/",
    "https://2852039166/",
    "https://0251.0376.0251.0376/",
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://224.0.0.1/",
    "https://239.255.255.250/",
    "https://255.255.255.255/",
    "https://240.0.0.1/",
    "https://192.0.2.1/",
    "https://198.18.0.1/",
    "https://192.0.0.170/",
    # IPv6: loopback, unspecified, IPv4-mapped/compatible/NAT64/6to4 forms, ULA, link-local, multicast
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::127.0.0.1]/",
    "https://[64:ff9b::7f00:1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:7f00:1::1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456:789a::1]/",
    "https://[fe80::1]/",
    "https://[fe80::1%25eth0]/",
    "https://[ff02::1]/",
    "https://[2001:db8::1]/",
    # names: localhost, trailing dots, single labels, internal top-level names
    "https://localhost/",
    "https://localhost./",
    "https://LOCALHOST:8443/",
    "https://sub.localhost/",
    "https://redis/",
    "https://notifier/",
    "https://kafka:9092/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://smartcloud.example./hook",
    "https://smartcloud.example../hook",
    "https://printer.local/",
    "https://router.home.arpa/",
    # names that resolve into our networks (the test resolver)
    *(f"https://{host}/hook" for host in sorted(RESOLVE_ONLY)),
    # schemes, user info and parser confusion
    "http://127.0.0.1/",
    "http://localhost:8003/internal/v1/inbox/12887010186",
    "http://smartcloud.example/hook",
    "https://user@127.0.0.1/",
    "https://smartcloud.example@127.0.0.1/",
    "https://127.0.0.1#@smartcloud.example/",
    "https://127.0.0.1\\@smartcloud.example/",
    "https://127.0.0.1%2f@smartcloud.example/",
    "https://smartcloud.example/hook?next=http://127.0.0.1",
    "ftp://smartcloud.example/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "https:///hook",
    "https://\u2460\u2461\u2466.0.0.1/",
    "https://127.0.0.1 /",
]


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 60
    assert len(set(CORPUS)) == len(CORPUS)


@pytest.mark.parametrize("url", CORPUS)
def test_registration_refuses_all_but_names_only_dns_can_unmask(url: str) -> None:
    refusal = webhook_url_refusal(url)
    if urlsplit(url).hostname in RESOLVE_ONLY:
        assert refusal is None, "a public-looking name: the send-time check must catch it"
    else:
        assert refusal is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://smartcloud.example/hook",
        "https://hooks.smartcloud.example:8443/v1/in",
        "https://93.184.215.14/hook",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook",
        "https://xn--smrtcloud-r2a.example/hook",
    ],
)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert webhook_url_refusal(url) is None


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/hook", "https://127.0.0.1:9000/hook", "http://localhost:9/x", "http://[::1]:9/x"],
)
def test_loopback_only_with_the_explicit_local_setting(url: str) -> None:
    assert webhook_url_refusal(url) is not None
    assert webhook_url_refusal(url, allow_loopback=True) is None


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://redis:6379/", "http://smartcloud.example/"])
def test_the_local_setting_allows_loopback_and_nothing_else(url: str) -> None:
    assert webhook_url_refusal(url, allow_loopback=True) is not None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0xa9.0376.43518", "169.254.169.254"),
        ("10.1", "10.0.0.1"),
        ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
    ],
)
def test_numeric_hosts_are_read_as_a_resolver_reads_them(host: str, address: str) -> None:
    assert literal_address(host) == ip_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.20.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fe80::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:a00:1::1",
        "::ffff:1.1.1.1",  # IPv4 in IPv6 clothing is refused whatever it embeds
    ],
)
def test_addresses_inside_our_networks_are_refused(address: str) -> None:
    assert address_refusal(ip_address(address)) is not None


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ip_address(address)) is None


# -- send time: nothing is ever connected to --------------------------------------------------


class FakeResolver:
    """Answers from RESOLVES_TO (and one public name); counts its lookups."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = {**RESOLVES_TO, "hooks.smartcloud.example": [PUBLIC], **(table or {})}
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError(f"test resolver: no such name {host}")
        return [ip_address(a) for a in self.table[host]]


class FakeStream(httpcore.AsyncNetworkStream):
    """A connection that answers one 204 and records what TLS was started with."""

    def __init__(self, log: list[tuple[str, object]]) -> None:
        self.log = log
        self.answered = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self.answered:
            return b""
        self.answered = True
        return b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.log.append(("write", buffer))

    async def aclose(self) -> None:
        return None

    async def start_tls(
        self, ssl_context: object, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self.log.append(("tls", server_hostname))
        return self

    def get_extra_info(self, info: str) -> object:
        return None


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The inner backend: records every connection it is asked to open, opens none."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.log: list[tuple[str, object]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return FakeStream(self.log)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((path, 0))
        return FakeStream(self.log)

    async def sleep(self, seconds: float) -> None:
        return None


def sender(resolver: FakeResolver, inner: RecordingBackend) -> HttpWebhookSender:
    secret = new_secret()

    async def signing_secrets(system_id: str) -> list[str]:
        return [secret]

    client = guarded_client(resolver, inner=inner)
    return HttpWebhookSender(client, signing_secrets, deadline_seconds=2)


@pytest.mark.parametrize("url", CORPUS)
async def test_the_sender_refuses_every_corpus_url_and_connects_to_none(url: str) -> None:
    resolver, inner = FakeResolver(), RecordingBackend()
    with pytest.raises(DeliveryFailed) as failed:
        await sender(resolver, inner).send("d", Webhook(url, "314000110_x", "X", "{}"))
    assert failed.value.permanent, str(failed.value)
    assert inner.connects == []


@pytest.mark.parametrize("host", sorted(RESOLVES_TO))
async def test_the_connection_layer_alone_refuses_every_internal_name(host: str) -> None:
    """Even past the URL check (say, a URL stored before it existed), the client's connections
    refuse these names before opening anything."""
    inner = RecordingBackend()
    backend = GuardedNetworkBackend(FakeResolver(), inner=inner)
    with pytest.raises(TargetRefused):
        await backend.connect_tcp(host, 443)
    assert inner.connects == []


async def test_a_public_name_is_connected_by_its_checked_address_with_tls_for_the_name() -> None:
    resolver, inner = FakeResolver(), RecordingBackend()
    await sender(resolver, inner).send(
        "d", Webhook("https://hooks.smartcloud.example/in", "314000110_x", "X", "{}")
    )
    assert inner.connects == [(PUBLIC, 443)], "connected to the address it checked, not to the name"
    assert ("tls", "hooks.smartcloud.example") in inner.log, "certificate checked for the name"
    request = next(bytes(data) for kind, data in inner.log if kind == "write" and isinstance(data, bytes))
    assert b"host: hooks.smartcloud.example" in request.lower()


async def test_dns_rebinding_cannot_switch_the_address_between_check_and_connect() -> None:
    """The name resolves once per connection; the address checked is the address connected to.
    A second answer pointing at loopback is refused, and nothing is connected to it."""

    class Rebinding(FakeResolver):
        answers: ClassVar[list[list[str]]] = [[PUBLIC], ["127.0.0.1"]]

        async def resolve(self, host: str, port: int) -> list[IPAddress]:
            self.lookups.append(host)
            return [ip_address(a) for a in self.answers[min(len(self.lookups), 2) - 1]]

    resolver, inner = Rebinding(), RecordingBackend()
    backend = GuardedNetworkBackend(resolver, inner=inner)
    await backend.connect_tcp("rebind.example.com", 443)
    with pytest.raises(TargetRefused):
        await backend.connect_tcp("rebind.example.com", 443)
    assert inner.connects == [(PUBLIC, 443)]
    assert resolver.lookups == ["rebind.example.com", "rebind.example.com"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
async def test_loopback_is_connected_only_with_the_local_setting(host: str) -> None:
    inner = RecordingBackend()
    with pytest.raises(TargetRefused):
        await GuardedNetworkBackend(FakeResolver(), inner=inner).connect_tcp(host, 9000)
    await GuardedNetworkBackend(FakeResolver(), allow_loopback=True, inner=inner).connect_tcp(host, 9000)
    assert len(inner.connects) == 1


def test_host_rules_ignore_case_and_refuse_trailing_dots() -> None:
    assert host_refusal("LocalHost") is not None
    assert host_refusal("smartcloud.example.") is not None
    assert host_refusal("Hooks.SmartCloud.Example") is None

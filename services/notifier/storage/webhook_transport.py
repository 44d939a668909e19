"""The HTTP client webhooks are sent with: it connects only to public addresses it checked itself.

Every connection the client opens goes through ``GuardedNetworkBackend``: the host is checked
by name (``shared.webhook_targets.host_refusal``), resolved once, *every* address it resolves
to is checked (``address_refusal``), and the TCP connection is opened to the checked address,
not to the name, so a second DNS answer (rebinding) cannot send it elsewhere. TLS still
verifies the certificate against the name (SNI and Host stay the name), because httpcore
starts TLS with the origin's host name over the stream this backend returns.

The client ignores proxy settings from the environment (a proxy would connect on our behalf,
past the check) and never follows redirects.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from ipaddress import ip_address
from typing import Protocol

import httpcore
import httpx

from shared.webhook_targets import IPAddress, address_refusal, host_refusal, literal_address

__all__ = [
    "GuardedNetworkBackend",
    "GuardedTransport",
    "Resolver",
    "SystemResolver",
    "TargetRefused",
    "guarded_client",
]


class TargetRefused(Exception):
    """The webhook's host is, or resolves to, an address we never connect to."""


class Resolver(Protocol):
    """Name -> addresses; tests pass their own to prove what would be connected to."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), every address family."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        found: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = ip_address(str(sockaddr[0]))
            if address not in found:
                found.append(address)
        return found


def _loopback(ip: IPAddress) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked public addresses (loopback only when allowed)."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        allow_loopback: bool = False,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver
        self._allow_loopback = allow_loopback
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.checked_addresses(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                last_error = exc
        raise httpcore.ConnectError(f"could not connect to {host}: {last_error!r}")

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses ``host`` resolves to, each one allowed; raises ``TargetRefused`` if any is not."""
        refusal = host_refusal(host, allow_loopback=self._allow_loopback)
        if refusal is not None:
            raise TargetRefused(refusal)
        literal = literal_address(host)
        try:
            addresses = [literal] if literal is not None else await self._resolver.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        for address in addresses:
            if self._allow_loopback and _loopback(address):
                continue
            if (reason := address_refusal(address)) is not None:
                raise TargetRefused(f"{host} resolves to a {reason}")
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("webhooks never go to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool on the guarded backend and no proxy."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, *, max_connections: int = 100) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to pass a network backend; replace it with an
        # equal pool that has one (tests/unit/notifier/test_webhook_targets.py proves every
        # connection goes through the backend).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def guarded_client(
    resolver: Resolver | None = None,
    *,
    allow_loopback: bool = False,
    max_connections: int = 100,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """The webhook client: guarded connections, no proxies from the environment, no redirects."""
    backend = GuardedNetworkBackend(resolver or SystemResolver(), allow_loopback=allow_loopback, inner=inner)
    return httpx.AsyncClient(
        transport=GuardedTransport(backend, max_connections=max_connections),
        trust_env=False,
        follow_redirects=False,
    )

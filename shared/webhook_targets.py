"""Where a vendor's webhook may point: refuse every address inside our own networks (SSRF).

Two checks use these rules:

- at registration (intake, ``webhook_url_refusal``): the URL must be https, its host a DNS
  name of at least two labels under a public top-level domain, or an IPv4/IPv6 literal in
  public space written in its one canonical form;
- at send time (the notifier's guarded connection): the host is resolved, *every* address it
  resolves to must be public (``address_refusal``), and the connection goes to the address
  that was checked, so a second DNS answer (rebinding) cannot switch it.

Refused address space: loopback, unspecified, private (RFC 1918, fc00::/7), link-local
(169.254/16, fe80::/10), carrier-grade NAT (100.64/10), multicast, reserved, documentation,
benchmarking and the other special-purpose blocks, and every IPv6 form that embeds an IPv4
address (IPv4-mapped, IPv4-compatible, NAT64, 6to4), whatever it embeds: no public service
needs one, and the refusal names the embedded address when that is the reason.

A host that ends in a number is read the way ``inet_aton`` and browsers read it, so
``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1: such forms
are refused outright, whatever they point to; only the canonical dotted quad is an address.

Loopback receivers (the project's own tests) are allowed only when a service is told so by
an explicit local setting (``allow_loopback``), and then only for loopback literals and
``localhost``.
"""

from __future__ import annotations

import ipaddress
import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

__all__ = [
    "IPAddress",
    "address_refusal",
    "host_refusal",
    "is_loopback_host",
    "literal_address",
    "webhook_url_refusal",
]

IPAddress = IPv4Address | IPv6Address

_V4_BLOCKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified ('this network')"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "broadcast"),
)
_V6_BLOCKS: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "local NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/23", "IETF protocol assignments (Teredo, ORCHID, ...)"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fc00::/7", "private (unique local)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_V4_NETS = tuple((IPv4Network(net), label) for net, label in _V4_BLOCKS)
_V6_NETS = tuple((IPv6Network(net), label) for net, label in _V6_BLOCKS)
_V4_COMPATIBLE = IPv6Network("::/96")
_NAT64 = IPv6Network("64:ff9b::/96")

# Top-level names that never lead to the public internet.
_INTERNAL_TLDS = frozenset(
    {"localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp", "private", "arpa"}
)
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")
_FORBIDDEN_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


def _embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if (ip in _V4_COMPATIBLE and int(ip) > 1) or ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(ip: IPAddress) -> str | None:
    """Why a webhook must not be sent to ``ip``; None for a public unicast address."""
    if isinstance(ip, IPv6Address):
        if ip.scope_id:
            return f"scoped IPv6 address {ip}"
        embedded = _embedded_ipv4(ip)
        if embedded is not None and (inner := address_refusal(embedded)) is not None:
            return f"{inner}, embedded in IPv6 {ip}"
        nets: tuple[tuple[IPv4Network | IPv6Network, str], ...] = _V6_NETS
    else:
        nets = _V4_NETS
    for net, label in nets:
        if ip in net:
            return f"{label} address {ip}"
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return f"non-public address {ip}"
    return None


def _loose_ipv4(host: str) -> IPv4Address | None:
    """``host`` read as ``inet_aton`` reads it (1 to 4 parts, decimal, octal or hex), or None."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return None
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for index, value in enumerate(head):
        number += value << (8 * (3 - index))
    return IPv4Address(number)


def literal_address(host: str) -> IPAddress | None:
    """The address a host literal names, in any form a resolver would accept; None for a name."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in bare:
        try:
            return IPv6Address(bare)
        except ValueError:
            return None
    return _loose_ipv4(bare)


def _ends_in_number(host: str) -> bool:
    last = host.rstrip(".").rsplit(".", 1)[-1]
    return bool(_NUMERIC_PART.match(last))


def is_loopback_host(host: str) -> bool:
    """A loopback literal (127.0.0.0/8, ::1, in canonical form) or ``localhost``."""
    host = host.lower()
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host[1:-1] if host.startswith("[") else host)
    except ValueError:
        return False
    return ip.is_loopback and str(ip) == (host[1:-1] if host.startswith("[") else host)


def host_refusal(host: str, *, allow_loopback: bool = False) -> str | None:
    """Why a webhook's host is refused before any lookup; None when it may be resolved and checked."""
    host = host.lower()
    if allow_loopback and is_loopback_host(host):
        return None
    if not host:
        return "no host"
    if host.endswith("."):
        return f"host {host!r} ends in a dot"
    if ":" in host or host.startswith("["):
        ip6 = literal_address(host)
        if ip6 is None:
            return f"malformed IPv6 literal {host!r}"
        return address_refusal(ip6)
    if _ends_in_number(host):
        ip4 = _loose_ipv4(host)
        if ip4 is None:
            return f"host {host!r} is neither a name nor an IPv4 address"
        if str(ip4) != host:
            return f"IPv4 address written in a non-standard form: {host!r} is {ip4}"
        return address_refusal(ip4)
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return f"host {host!r} is not a valid DNS name"
    if len(labels) < 2:
        return f"single-label host name {host!r}"
    if labels[-1] in _INTERNAL_TLDS or host.endswith(".home.arpa"):
        return f"internal host name {host!r}"
    return None


def webhook_url_refusal(url: str, *, allow_loopback: bool = False) -> str | None:
    """Why a webhook URL is refused at registration; None when it is accepted.

    Accepted: ``https://`` with a public host (see ``host_refusal``), an optional port and a
    path; no user info, query or fragment. With ``allow_loopback`` (a local setting), also
    ``http://`` or ``https://`` to a loopback literal or ``localhost``.
    """
    if _FORBIDDEN_URL_CHARS.search(url) or not url.isascii():
        return "the URL has whitespace, control, backslash or non-ASCII characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"the URL does not parse: {exc}"
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "the URL has user info"
    if parts.fragment or "#" in url or parts.query:
        return "the URL has a query or fragment"
    if port is not None and not 0 < port < 65536:
        return "the port is out of range"
    if "%" in parts.netloc:
        return "the host has a percent-encoded part or zone id"
    loopback = allow_loopback and is_loopback_host(host)
    if parts.scheme.lower() != "https" and not (loopback and parts.scheme.lower() == "http"):
        return "the URL must be https"
    return host_refusal(host, allow_loopback=allow_loopback)

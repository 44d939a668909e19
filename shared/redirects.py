"""Redirect URLs: a vendor may send the user back only to a URL it registered.

A candidate matches when its scheme (https), host, port and path equal a registered URL's;
a query string may be added (vendors carry their state in it). Anything a browser or a
parser might read differently is refused outright: user info, fragments, backslashes,
whitespace, control characters and non-ASCII characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

_FORBIDDEN_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
# A plain DNS name (no trailing dot) and, optionally, a port written without leading zeros.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_NETLOC = re.compile(rf"^{_LABEL}(\.{_LABEL})*(:[1-9][0-9]{{0,4}})?$", re.IGNORECASE)


def _parse_https(url: str) -> SplitResult | None:
    """Split an absolute https URL, or None when it has anything we refuse to follow."""
    if _FORBIDDEN_URL_CHARS.search(url) or not url.isascii():
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname or parts.fragment or "#" in url:
        return None
    if not _NETLOC.match(parts.netloc):
        return None
    if port is not None and not 0 < port < 65536:
        return None
    return parts


def _origin_and_path(parts: SplitResult) -> tuple[str, int, str]:
    host = (parts.hostname or "").lower()
    return host, parts.port or 443, parts.path or "/"


def is_valid_registered_url(url: str) -> bool:
    parts = _parse_https(url)
    return parts is not None and not parts.query


def redirect_allowed(url: str, allowed: Iterable[str]) -> bool:
    """True when scheme, host, port and path equal a registered URL; a query string may be added."""
    parts = _parse_https(url)
    if parts is None:
        return False
    wanted = _origin_and_path(parts)
    for registered in allowed:
        reg = _parse_https(registered)
        if reg is not None and _origin_and_path(reg) == wanted:
            return True
    return False

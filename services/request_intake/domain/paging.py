"""Continuation tokens of the by-system lists (requests, and system accesses)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .accesses import SystemAccess
from .refusals import Refusal, RefusalKind
from .requests import AccessRequest

__all__ = ["TOKEN_PATTERN", "AccessSlice", "PageCursor", "RequestSlice"]

TOKEN_PATTERN = "^[A-Za-z0-9_-]{0,200}$"
"""What a continuation token looks like (unpadded URL-safe base64), as the document states it;
an empty token, like none, asks for the first page."""
_TOKEN = re.compile(TOKEN_PATTERN)


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a list continues: after the entry ``<created, epoch ms as 13 digits>:<id>`` (the id of
    a request, or of a system access: both are UUIDs).

    The vendor holds it as an opaque token (URL-safe base64 of ``after``, unpadded), so its
    text must stay stable across releases.
    """

    after: str

    def to_token(self) -> str:
        return base64.urlsafe_b64encode(self.after.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> PageCursor:
        if not _TOKEN.fullmatch(token):
            # The decoder would skip characters outside the alphabet; a token has none.
            raise _invalid_token()
        try:
            after = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise _invalid_token() from exc
        created, _, request_id = after.partition(":")
        if not created.isdigit() or len(request_id) != 36:
            raise _invalid_token()
        return cls(after)


def _invalid_token() -> Refusal:
    return Refusal(RefusalKind.INVALID, "AUTH.VLD-TOKEN", "Invalid continuation token")


@dataclass(frozen=True, slots=True)
class RequestSlice:
    """One page of a list: the requests, and where the next page starts (None on the last)."""

    requests: tuple[AccessRequest, ...]
    next: PageCursor | None


@dataclass(frozen=True, slots=True)
class AccessSlice:
    """One page of a system's accesses, and where the next page starts (None on the last)."""

    accesses: tuple[SystemAccess, ...]
    next: PageCursor | None

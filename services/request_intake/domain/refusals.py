"""Refusals: what the rules answer when a vendor asks for something they do not allow.

A refusal changes nothing. It carries Altinn's error code and a human text; the HTTP
handlers turn it into problem+json (the kind picks the status code), so the rules never
speak HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

__all__ = ["Refusal", "RefusalKind"]


class RefusalKind(StrEnum):
    """Why something was refused, in terms the caller can act on."""

    INVALID = "invalid"
    """The input breaks a rule; sending it again will not help."""
    FORBIDDEN = "forbidden"
    """The caller may not act on this."""
    NOT_FOUND = "not_found"
    """There is no such thing for this caller (also used to hide other vendors' things)."""


class Refusal(Exception):
    """A rule refused the command; raised from the domain and the use cases, nothing was written."""

    def __init__(
        self,
        kind: RefusalKind,
        code: str,
        title: str,
        detail: str | None = None,
        details: Mapping[str, str | Sequence[str]] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.kind = kind
        self.code = code
        self.title = title
        self.detail = detail
        self.details: Mapping[str, str | Sequence[str]] = details or {}
        """Extra members of the problem document, such as ``notFoundRights``."""

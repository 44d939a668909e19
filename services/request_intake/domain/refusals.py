"""Refusals: what the rules answer when a vendor asks for something they do not allow.

A refusal changes nothing. It carries Altinn's error code and a human text; the HTTP
handlers turn it into problem+json (the kind picks the status code), so the rules never
speak HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

__all__ = ["FieldError", "Refusal", "RefusalKind", "Refusals"]

T = TypeVar("T")


class RefusalKind(StrEnum):
    """Why something was refused, in terms the caller can act on."""

    INVALID = "invalid"
    """The input breaks a rule; sending it again will not help."""
    FORBIDDEN = "forbidden"
    """The caller may not act on this."""
    NOT_FOUND = "not_found"
    """There is no such thing for this caller (also used to hide other vendors' things)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule of an invalid input, as Altinn lists them: its code, a text, and the
    JSON pointers of the offending fields (``/rights/0/resource``)."""

    code: str
    detail: str
    paths: tuple[str, ...] = ()


class Refusal(Exception):
    """A rule refused the command; raised from the domain and the use cases, nothing was written.

    An INVALID refusal lists every broken rule in ``errors``; its own code, title and detail
    are those of the first, as they were before the list existed.
    """

    def __init__(
        self,
        kind: RefusalKind,
        code: str,
        title: str,
        detail: str | None = None,
        details: Mapping[str, str | Sequence[str]] | None = None,
        *,
        paths: Sequence[str] = (),
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(detail or title)
        self.kind = kind
        self.code = code
        self.title = title
        self.detail = detail
        self.details: Mapping[str, str | Sequence[str]] = details or {}
        """Extra members of the problem document, such as ``notFoundRights``."""
        if not errors and kind is RefusalKind.INVALID:
            errors = (FieldError(code, detail or title, tuple(paths)),)
        self.errors: tuple[FieldError, ...] = tuple(errors)


class Refusals:
    """Collects the INVALID refusals of a whole input, so the vendor hears of every problem at
    once; ``raise_any`` raises them as one refusal (any other kind is raised at once)."""

    def __init__(self) -> None:
        self._found: list[Refusal] = []

    def add(self, refusal: Refusal) -> None:
        if refusal.kind is not RefusalKind.INVALID:
            raise refusal
        self._found.append(refusal)

    def check(self, rule: Callable[[], T]) -> T | None:
        """The rule's result, or None when it refused (the refusal is kept)."""
        try:
            return rule()
        except Refusal as refusal:
            self.add(refusal)
            return None

    def __bool__(self) -> bool:
        return bool(self._found)

    def raise_any(self) -> None:
        if not self._found:
            return
        first = self._found[0]
        details: dict[str, str | list[str]] = {}
        for refusal in self._found:
            for name, value in refusal.details.items():
                known = details.get(name)
                if isinstance(value, str) or known is None or isinstance(known, str):
                    details.setdefault(name, value if isinstance(value, str) else list(value))
                else:
                    known.extend(v for v in value if v not in known)
        raise Refusal(
            first.kind,
            first.code,
            first.title,
            first.detail,
            details,
            errors=[error for refusal in self._found for error in refusal.errors],
        )

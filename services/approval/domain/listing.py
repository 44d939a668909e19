"""Long lists on a page: a server-side search and pages of a fixed size."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Page", "matches", "paginate"]

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, which page it is (from 1), and how many there are in all."""

    items: tuple[T, ...]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first(self) -> int:
        """The position of the first item shown (from 1), 0 when the list is empty."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(items: Sequence[T], number: int = 1, size: int = DEFAULT_PAGE_SIZE) -> Page[T]:
    """Page ``number`` of ``items``; a number past either end gives the nearest page there is."""
    size = min(max(size, 1), MAX_PAGE_SIZE)
    pages = max(1, math.ceil(len(items) / size))
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return Page(tuple(items[start : start + size]), number, size, len(items))


def matches(query: str, *fields: str) -> bool:
    """Every word of the query occurs in some field, ignoring case; an empty query matches all."""
    haystack = " ".join(fields).casefold()
    return all(word in haystack for word in query.casefold().split())

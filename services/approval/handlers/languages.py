"""Which language a page is in: the person's explicit choice first, then the browser's.

Order: the ``lang`` query parameter (a click on the switcher), the ``lang`` cookie it sets,
the browser's Accept-Language (RFC 9110 quality values), and bokmål when nothing matches.
"Norwegian" without a written standard (``no``) is read as bokmål, as browsers mean it.
"""

from __future__ import annotations

from .texts import LANGUAGES

__all__ = ["DEFAULT", "choose_language", "from_accept_language"]

DEFAULT = "nb"
ALIASES = {"nb": "nb", "no": "nb", "nn": "nn", "en": "en"}


def from_accept_language(header: str | None) -> str | None:
    """The portal language the browser prefers most, or None if it names none of them."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = ALIASES.get(tag.strip().lower().split("-")[0])
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def choose_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for explicit in (query, cookie):
        if explicit is not None and explicit in LANGUAGES:
            return explicit
    return from_accept_language(accept_language) or DEFAULT

"""A generated corpus of redirect URLs, judged by an independent reference rule.

Accepted only when scheme, host and port equal the registered URL's (https, the exact host,
443 written or omitted) and the path is exactly the registered path; a query string may be
added. Everything else, however a browser might read it, is refused.
"""

from __future__ import annotations

import itertools

import pytest

from shared.redirects import redirect_allowed

REGISTERED = ["https://smartcloud.example/receipt"]

SCHEMES = {
    "https": True,
    "HTTPS": True,
    "HtTpS": True,
    "http": False,
    "ftp": False,
    "wss": False,
    "javascript": False,
}
HOSTS = {
    "smartcloud.example": True,
    "SMARTCLOUD.EXAMPLE": True,
    "SmartCloud.Example": True,
    "smartcloud.example.": False,
    "www.smartcloud.example": False,
    "smartcloud.example.evil.test": False,
    "evil-smartcloud.example": False,
    "smartcloud.exampl": False,
    "smаrtcloud.example": False,  # Cyrillic а
    "smartclоud.example": False,  # Cyrillic о
    "xn--smrtcloud-4fg.example": False,
    "127.0.0.1": False,
    "[::1]": False,
    "smartcloud.example%2eevil.test": False,
    "user@smartcloud.example": False,
    "smartcloud.example@evil.test": False,
    "smartcloud.example:443@evil.test": False,
}
PORTS = {"": True, ":443": True, ":0443": False, ":444": False, ":8443": False, ":": False, ":65536": False}
PATHS = {
    "/receipt": True,
    "/receipt/": False,
    "/Receipt": False,
    "/receipt2": False,
    "/receipt/x": False,
    "/%72eceipt": False,
    "/./receipt": False,
    "/x/../receipt": False,
    "//receipt": False,
    "\\receipt": False,
    "/receipt%00": False,
    "/rec%0Aeipt": False,
    "": False,
}
SUFFIXES = {
    "": True,
    "?state=abc": True,
    "?state=a%20b&next=1": True,
    "#fragment": False,
    "?x=1#y": False,
    " ": False,
    "\t": False,
}


def corpus() -> list[tuple[str, bool]]:
    cases: list[tuple[str, bool]] = []
    base = ("https", "smartcloud.example", "", "/receipt", "")
    dimensions = (SCHEMES, HOSTS, PORTS, PATHS, SUFFIXES)
    # Vary one dimension at a time from the valid URL, then pairs of dimensions.
    for index, dimension in enumerate(dimensions):
        for value, ok in dimension.items():
            parts = list(base)
            parts[index] = value
            cases.append((_url(*parts), ok))
    for (i, first), (j, second) in itertools.combinations(enumerate(dimensions), 2):
        for (a, ok_a), (b, ok_b) in itertools.product(list(first.items())[:6], list(second.items())[:6]):
            parts = list(base)
            parts[i], parts[j] = a, b
            cases.append((_url(*parts), ok_a and ok_b))
    cases += [
        (u, False)
        for u in (
            "javascript:alert(1)",
            "data:text/html,x",
            "//smartcloud.example/receipt",
            "/receipt",
            "",
            "https:///receipt",
            "https:/smartcloud.example/receipt",
            "https:\\\\smartcloud.example/receipt",
            "https://smartcloud.example\\@evil.test/receipt",
        )
    ]
    return list(dict.fromkeys(cases))


def _url(scheme: str, host: str, port: str, path: str, suffix: str) -> str:
    return f"{scheme}://{host}{port}{path}{suffix}"


CORPUS = corpus()


def test_the_corpus_is_large_and_mostly_hostile() -> None:
    assert len(CORPUS) >= 200
    assert sum(1 for _, ok in CORPUS if not ok) > 150


@pytest.mark.parametrize(("url", "allowed"), CORPUS, ids=[repr(u)[:60] for u, _ in CORPUS])
def test_redirect_verdict(url: str, allowed: bool) -> None:
    assert redirect_allowed(url, REGISTERED) is allowed

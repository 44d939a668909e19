"""redirectUrl matching (scheme, host, port and path equal; a query may be added)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.request_intake.handlers.schemas import StandardRequestBody
from shared.redirects import is_valid_registered_url, redirect_allowed

REGISTERED = "https://smartcloud.example/receipt"
ALLOWED = [REGISTERED]

ACCEPTED = [
    pytest.param(REGISTERED, id="exact"),
    pytest.param(REGISTERED + "?state=abc", id="query"),
    pytest.param(REGISTERED + "?state=abc&n=1", id="query-two-params"),
    pytest.param(REGISTERED + "?next=https%3A%2F%2Fevil.com", id="query-encoded-url"),
    pytest.param(REGISTERED + "?who=a@b", id="at-sign-in-query"),
    pytest.param(REGISTERED + "?p=%2Freceipt%2F..", id="encoded-path-in-query"),
    pytest.param("HTTPS://smartcloud.example/receipt", id="upper-scheme"),
    pytest.param("Https://smartcloud.example/receipt", id="mixed-scheme"),
    pytest.param("https://SMARTCLOUD.EXAMPLE/receipt", id="upper-host"),
    pytest.param("https://SmartCloud.Example/receipt", id="mixed-host"),
    pytest.param("https://smartcloud.example:443/receipt", id="explicit-443"),
    pytest.param("HTTPS://SMARTCLOUD.EXAMPLE:443/receipt?x=1", id="upper-443-query"),
]

REFUSED = [
    # Hosts and ports a parser might equate with the registered one, refused to stay strict.
    "https://smartcloud.example./receipt",
    "https://smartcloud.example:/receipt",
    "https://smartcloud.example:0443/receipt",
    "https://smartcloud.example:00443/receipt",
    # scheme
    pytest.param("http://smartcloud.example/receipt", id="http"),
    pytest.param("http://smartcloud.example:443/receipt", id="http-port-443"),
    pytest.param("ftp://smartcloud.example/receipt", id="ftp"),
    pytest.param("wss://smartcloud.example/receipt", id="wss"),
    pytest.param("httpss://smartcloud.example/receipt", id="httpss"),
    pytest.param("https:smartcloud.example/receipt", id="no-slashes"),
    pytest.param("https:/smartcloud.example/receipt", id="one-slash"),
    pytest.param("//smartcloud.example/receipt", id="protocol-relative"),
    pytest.param("/receipt", id="relative-path"),
    pytest.param("smartcloud.example/receipt", id="no-scheme"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("javascript://smartcloud.example/receipt%0aalert(1)", id="javascript-host"),
    pytest.param("JaVaScRiPt:alert(document.cookie)", id="javascript-mixed-case"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data"),
    pytest.param("data:text/html;base64,PHNjcmlwdD4=", id="data-base64"),
    pytest.param("vbscript:msgbox(1)", id="vbscript"),
    # host
    pytest.param("https://evil.com/receipt", id="other-host"),
    pytest.param("https://www.smartcloud.example/receipt", id="subdomain-www"),
    pytest.param("https://evil.smartcloud.example/receipt", id="subdomain-evil"),
    pytest.param("https://smartcloud.example.evil.com/receipt", id="suffix-trick"),
    pytest.param("https://smartcloud.examplee/receipt", id="host-extra-letter"),
    pytest.param("https://smartcloud-example/receipt", id="host-dash"),
    pytest.param("https://evilsmartcloud.example/receipt", id="host-prefix"),
    pytest.param("https://smartcloud%2Eexample/receipt", id="host-percent-dot"),
    pytest.param("https://127.0.0.1/receipt", id="ip-v4"),
    pytest.param("https://[::1]/receipt", id="ip-v6"),
    pytest.param("https:///receipt", id="empty-host"),
    pytest.param("https://:443/receipt", id="port-no-host"),
    # userinfo
    pytest.param("https://smartcloud.example@evil.com/receipt", id="userinfo-host-is-evil"),
    pytest.param("https://user@smartcloud.example/receipt", id="userinfo-user"),
    pytest.param("https://user:pw@smartcloud.example/receipt", id="userinfo-user-password"),
    pytest.param("https://@smartcloud.example/receipt", id="userinfo-empty"),
    pytest.param("https://evil.com\\@smartcloud.example/receipt", id="userinfo-backslash"),
    # port
    pytest.param("https://smartcloud.example:8443/receipt", id="port-8443"),
    pytest.param("https://smartcloud.example:80/receipt", id="port-80"),
    pytest.param("https://smartcloud.example:0/receipt", id="port-0"),
    pytest.param("https://smartcloud.example:99999/receipt", id="port-99999"),
    pytest.param("https://smartcloud.example:65536/receipt", id="port-65536"),
    pytest.param("https://smartcloud.example:-1/receipt", id="port-negative"),
    pytest.param("https://smartcloud.example:+443/receipt", id="port-plus"),
    pytest.param("https://smartcloud.example:abc/receipt", id="port-letters"),
    pytest.param("https://smartcloud.example:443:443/receipt", id="port-twice"),
    pytest.param("https://smartcloud.example:\u0664\u0664\u0663/receipt", id="port-arabic-indic"),
    # path
    pytest.param("https://smartcloud.example/receipt/", id="trailing-slash"),
    pytest.param("https://smartcloud.example/Receipt", id="path-case"),
    pytest.param("https://smartcloud.example/RECEIPT", id="path-upper"),
    pytest.param("https://smartcloud.example/receipt2", id="path-suffix"),
    pytest.param("https://smartcloud.example/receipt/x", id="path-child"),
    pytest.param("https://smartcloud.example/x/receipt", id="path-prefix"),
    pytest.param("https://smartcloud.example/", id="root"),
    pytest.param("https://smartcloud.example", id="no-path"),
    pytest.param("https://smartcloud.example//receipt", id="double-slash"),
    pytest.param("https://smartcloud.example/./receipt", id="dot-segment"),
    pytest.param("https://smartcloud.example/x/../receipt", id="dot-dot-segment"),
    pytest.param("https://smartcloud.example/receipt;jsessionid=1", id="path-params"),
    pytest.param("https://smartcloud.example/r%65ceipt", id="percent-encoded-letter"),
    pytest.param("https://smartcloud.example/%72eceipt", id="percent-encoded-first"),
    pytest.param("https://smartcloud.example/receipt%2F", id="percent-encoded-slash"),
    pytest.param("https://smartcloud.example/receipt%00", id="percent-encoded-nul"),
    pytest.param("https://smartcloud.example/%2e/receipt", id="percent-encoded-dot"),
    pytest.param("https://smartcloud.example\\receipt", id="backslash-path"),
    pytest.param("https://smartcloud.example/receipt\\", id="backslash-end"),
    pytest.param("https:\\\\smartcloud.example\\receipt", id="backslash-everywhere"),
    pytest.param("https://evil.com\\.smartcloud.example/receipt", id="backslash-host"),
    # fragment
    pytest.param(REGISTERED + "#frag", id="fragment"),
    pytest.param(REGISTERED + "#", id="empty-fragment"),
    pytest.param(REGISTERED + "?a=1#frag", id="query-and-fragment"),
    pytest.param("https://evil.com#smartcloud.example/receipt", id="fragment-host-trick"),
    # whitespace and control characters
    pytest.param(" " + REGISTERED, id="leading-space"),
    pytest.param(REGISTERED + " ", id="trailing-space"),
    pytest.param("https://smart cloud.example/receipt", id="space-in-host"),
    pytest.param("https://smartcloud.example/rec eipt", id="space-in-path"),
    pytest.param(REGISTERED + "?a=b c", id="space-in-query"),
    pytest.param("\t" + REGISTERED, id="leading-tab"),
    pytest.param("https://smartcloud.example/rec\teipt", id="tab-in-path"),
    pytest.param("ht\ttps://smartcloud.example/receipt", id="tab-in-scheme"),
    pytest.param("https://smartcloud.exa\tmple/receipt", id="tab-in-host"),
    pytest.param(REGISTERED + "\n", id="trailing-newline"),
    pytest.param("https://smartcloud.example/rec\neipt", id="newline-in-path"),
    pytest.param("https://smartcloud.example\n.evil.com/receipt", id="newline-in-host"),
    pytest.param(REGISTERED + "\r\nSet-Cookie: x=1", id="crlf-injection"),
    pytest.param(REGISTERED + "?a=\r", id="cr-in-query"),
    pytest.param("\x00" + REGISTERED, id="leading-nul"),
    pytest.param("https://smartcloud.example\x00.evil.com/receipt", id="nul-in-host"),
    pytest.param(REGISTERED + "\x00", id="trailing-nul"),
    pytest.param(REGISTERED + "?a=\x01", id="control-in-query"),
    pytest.param(REGISTERED + "\x7f", id="del"),
    pytest.param(REGISTERED + "\u00a0", id="nbsp"),
    pytest.param(REGISTERED + "\u2028", id="line-separator"),
    pytest.param("https://smartcloud.example/receipt\u200b", id="zero-width-space"),
    # unicode look-alikes and IDN
    pytest.param("https://\u0455martcloud.example/receipt", id="cyrillic-dze-s"),
    pytest.param("https://smartcl\u043eud.example/receipt", id="cyrillic-o"),
    pytest.param("https://sm\u0430rtcloud.ex\u0430mple/receipt", id="cyrillic-a-twice"),
    pytest.param("https://smartcloud.\u0435xample/receipt", id="cyrillic-e"),
    pytest.param("https://smartcloud\u3002example/receipt", id="ideographic-full-stop"),
    pytest.param("https://\uff53martcloud.example/receipt", id="fullwidth-s"),
    pytest.param("https://smartcloud.example/rece\u0456pt", id="cyrillic-i-in-path"),
    pytest.param("https://xn--smartclud-1bh.example/receipt", id="punycode-host"),
    pytest.param("https://xn--martcloud-zyb.example/receipt", id="punycode-host-2"),
    # degenerate
    pytest.param("", id="empty"),
    pytest.param(" ", id="space-only"),
    pytest.param("https://", id="scheme-only"),
    pytest.param("https://smartcloud.example/receipt" + "/a" * 5000, id="very-long-path"),
    pytest.param("https://" + "a" * 5000 + ".smartcloud.example/receipt", id="very-long-host"),
    pytest.param("https://smartcloud.example/" + "receipt" * 2000, id="very-long-repeat"),
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_redirect_accepted(url: str) -> None:
    assert redirect_allowed(url, ALLOWED)


@pytest.mark.parametrize("url", REFUSED)
def test_redirect_refused(url: str) -> None:
    assert not redirect_allowed(url, ALLOWED)


def test_enough_variants() -> None:
    assert len(ACCEPTED) + len(REFUSED) >= 60


def test_no_registered_urls_refuses_everything() -> None:
    assert not redirect_allowed(REGISTERED, [])


def test_any_registered_url_may_match() -> None:
    allowed = ["https://other.example/cb", REGISTERED]
    assert redirect_allowed(REGISTERED + "?s=1", allowed)
    assert redirect_allowed("https://other.example/cb", allowed)
    assert not redirect_allowed("https://other.example/receipt", allowed)


def test_invalid_registered_urls_are_skipped() -> None:
    allowed = ["http://smartcloud.example/receipt", "https://user@smartcloud.example/receipt"]
    assert not redirect_allowed("http://smartcloud.example/receipt", allowed)
    assert not redirect_allowed(REGISTERED, allowed)


def test_registered_url_with_explicit_port_matches_default() -> None:
    assert redirect_allowed(REGISTERED, ["https://smartcloud.example:443/receipt"])
    assert redirect_allowed(
        "https://smartcloud.example:8443/receipt", ["https://smartcloud.example:8443/receipt"]
    )
    assert not redirect_allowed(REGISTERED, ["https://smartcloud.example:8443/receipt"])


def test_registered_host_case_is_ignored() -> None:
    assert redirect_allowed(REGISTERED, ["https://SMARTCLOUD.example/receipt"])


def test_allowed_accepts_any_iterable() -> None:
    assert redirect_allowed(REGISTERED, (u for u in ALLOWED))
    assert redirect_allowed(REGISTERED, (REGISTERED,))


def test_very_long_redirect_url_is_refused_by_the_request_schema() -> None:
    long_url = REGISTERED + "?state=" + "a" * 3000
    with pytest.raises(ValidationError):
        StandardRequestBody.model_validate(
            {"systemId": "314000110_smartcloud", "partyOrgNo": "310614289", "redirectUrl": long_url}
        )


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        pytest.param(REGISTERED, True, id="plain"),
        pytest.param("https://smartcloud.example", True, id="no-path"),
        pytest.param("https://smartcloud.example/", True, id="root"),
        pytest.param("https://smartcloud.example:8443/receipt", True, id="other-port"),
        pytest.param("HTTPS://SMARTCLOUD.EXAMPLE/receipt", True, id="upper"),
        pytest.param("https://smartcloud.example/a/b/c", True, id="deep-path"),
        pytest.param(REGISTERED + "?a=1", False, id="query"),
        pytest.param(REGISTERED + "?", True, id="empty-query"),
        pytest.param(REGISTERED + "#f", False, id="fragment"),
        pytest.param(REGISTERED + "#", False, id="empty-fragment"),
        pytest.param("http://smartcloud.example/receipt", False, id="http"),
        pytest.param("https://user@smartcloud.example/receipt", False, id="userinfo"),
        pytest.param("https://smartcloud.example@evil.com/receipt", False, id="userinfo-trick"),
        pytest.param("https:///receipt", False, id="no-host"),
        pytest.param("//smartcloud.example/receipt", False, id="protocol-relative"),
        pytest.param("/receipt", False, id="relative"),
        pytest.param("", False, id="empty"),
        pytest.param("https://smartcloud.example:0/receipt", False, id="port-0"),
        pytest.param("https://smartcloud.example:99999/receipt", False, id="port-99999"),
        pytest.param("https://smartcloud.example\\receipt", False, id="backslash"),
        pytest.param(REGISTERED + " ", False, id="trailing-space"),
        pytest.param(REGISTERED + "\t", False, id="tab"),
        pytest.param("https://smartcl\u043eud.example/receipt", False, id="cyrillic"),
        pytest.param("javascript:alert(1)", False, id="javascript"),
        pytest.param("data:text/html,x", False, id="data"),
    ],
)
def test_is_valid_registered_url(url: str, valid: bool) -> None:
    assert is_valid_registered_url(url) is valid

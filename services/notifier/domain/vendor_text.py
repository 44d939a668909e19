"""Vendor-supplied text in our own messages: shown as plain text, short, and never as a link.

A vendor names its system; that name appears in the e-mails and portal notifications the
notifier sends to a customer's access managers. Those messages are ours, so the name must
not be able to pass for our words: no line breaks or control characters that forge lines or
headers, no bidirectional or zero-width tricks, no text that a mail client turns into a link,
and no more than a line of it. The messages quote it and say that the vendor supplied it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_VENDOR_TEXT", "plain_vendor_text"]

MAX_VENDOR_TEXT = 80

# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned
# characters, and line and paragraph separators: all become spaces.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,15}):/+")
_DOMAIN_DOT = re.compile(r"(?i)(?<=[a-z0-9])\.(?=[a-z][a-z0-9-]*)")
_AT = re.compile(r"(?<=\w)@(?=\w)")
_SPACES = re.compile(r"\s+")


def plain_vendor_text(text: str, limit: int = MAX_VENDOR_TEXT) -> str:
    """``text`` as one plain, short line that no mail client shows as a link or markup.

    Compatibility forms are folded first (full-width letters become plain ones), so disguised
    links are defused too: ``https://x.example`` reads ``https[:]//x[.]example``. Quotes that
    would close our own quoting are replaced.
    """
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in folded)
    line = _SPACES.sub(" ", kept).strip()
    line = _SCHEME.sub(r"\1[:]//", line)
    line = _DOMAIN_DOT.sub("[.]", line)
    line = _AT.sub("[at]", line)
    line = line.replace("«", '"').replace("»", '"').replace("<", "‹").replace(">", "›")
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line

"""What the e-mails to access managers say, in bokmål, nynorsk and English.

Each recipient gets the language the directory gives as theirs (``Person.language``), and
bokmål when it gives none. The portal notification carries the same text as the e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.world import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["EMAIL_TEXTS", "email_texts", "pick_name"]

EMAIL_TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "subject_escalated": "Forespørsel om systemtilgang fra {vendor} er sendt videre til deg",
        "subject_reminder": "Påminnelse: forespørsel om systemtilgang fra {vendor}",
        "greeting": "Hei,",
        "asks": "{vendor} ber om systemtilgang for {party} gjennom systemet {system}.",
        "named_by_vendor": "(Systemnavnet er oppgitt av {vendor}.)",
        "forwarded": "{person} har sendt forespørselen videre til tilgangsstyrerne.",
        "expires_soon": "Forespørselen venter fortsatt på behandling og utløper snart.",
        "open": "Åpne forespørselen under Systemtilganger: {link}",
        "signoff": "Hilsen sysaccess",
    },
    "nn": {
        "subject_escalated": "Førespurnad om systemtilgang frå {vendor} er send vidare til deg",
        "subject_reminder": "Påminning: førespurnad om systemtilgang frå {vendor}",
        "greeting": "Hei,",
        "asks": "{vendor} ber om systemtilgang for {party} gjennom systemet {system}.",
        "named_by_vendor": "(Systemnamnet er oppgitt av {vendor}.)",
        "forwarded": "{person} har sendt førespurnaden vidare til tilgangsstyrarane.",
        "expires_soon": "Førespurnaden ventar framleis på handsaming og går snart ut.",
        "open": "Opne førespurnaden under Systemtilgangar: {link}",
        "signoff": "Helsing sysaccess",
    },
    "en": {
        "subject_escalated": "A system access request from {vendor} has been forwarded to you",
        "subject_reminder": "Reminder: system access request from {vendor}",
        "greeting": "Hello,",
        "asks": "{vendor} asks for system access for {party} through the system {system}.",
        "named_by_vendor": "(The system name is given by {vendor}.)",
        "forwarded": "{person} has forwarded the request to the access managers.",
        "expires_soon": "The request is still waiting to be dealt with and expires soon.",
        "open": "Open the request under System access: {link}",
        "signoff": "Regards, sysaccess",
    },
}


def email_texts(lang: str) -> dict[str, str]:
    return EMAIL_TEXTS[lang if lang in LANGUAGES else DEFAULT_LANGUAGE]


def pick_name(names: Mapping[str, str], lang: str, fallback: str) -> str:
    """A display name in ``lang``, else bokmål, else any, else ``fallback``."""
    return names.get(lang) or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()), "") or fallback

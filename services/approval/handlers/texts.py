"""Portal texts, Norwegian (bokmål) as in Altinn, with English."""

from __future__ import annotations

LANGUAGES = ("nb", "en")

TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "title": "Systemtilgang",
        "login_failed": "Innloggingen mislyktes",
        "login_failed_detail": (
            "Vi kunne ikke bekrefte hvem du er. Du er ikke logget inn. Prøv å logge inn på nytt."
        ),
        "request_heading": "Godkjenn systemtilgang",
        "agent_heading": "Godkjenn systemtilgang for klienter",
        "request_intro": "{vendor} ønsker tilgang til {party} gjennom systemet {system}.",
        "integration": "Integrasjon",
        "vendor": "Leverandør",
        "system": "System",
        "party": "Virksomhet",
        "rights": "Rettigheter",
        "packages": "Tilgangspakker",
        "approve": "Godkjenn",
        "reject": "Avvis",
        "status_New": "Ny forespørsel",
        "status_Accepted": "Denne forespørselen er allerede godkjent.",
        "status_Rejected": "Denne forespørselen er allerede avvist.",
        "status_Timedout": "Denne forespørselen er utløpt.",
        "status_Withdrawn": "Denne forespørselen er trukket tilbake av leverandøren.",
        "escalate_warning": (
            "Du mangler nødvendig fullmakt for å godkjenne denne forespørselen. "
            "Vil du sende forespørselen videre til tilgangsstyrer?"
        ),
        "escalate_button": "Ja, send videre",
        "close_logout": "Lukk og logg ut",
        "escalated_done": (
            "Forespørselen er videresendt. "
            "Tilgangsstyrer i virksomheten skal nå ha fått forespørselen i Altinn."
        ),
        "already_escalated": "Denne forespørselen er allerede videresendt.",
        "finish": "Avslutt",
        "missing": "Du mangler",
        "forbidden_title": "Ingen tilgang",
        "forbidden": "Du har ikke tilstrekkelige fullmakter for denne virksomheten.",
        "not_found": "Fant ikke forespørselen.",
        "logged_out": "Du er nå logget ut.",
        "logout": "Logg ut",
        "error_title": "Noe gikk galt",
        "decision_not_recorded": (
            "Avgjørelsen ble ikke registrert fordi tjenesten er midlertidig utilgjengelig. "
            "Prøv igjen om litt."
        ),
        "decision_pending": "Avgjørelsen er mottatt, men ikke ferdig behandlet. Last siden på nytt om litt.",
        "too_many": "For mange forsøk. Vent litt og prøv igjen.",
        "language": "English",
        "overview_heading": "Systemtilganger",
        "clients_heading": "Klienter for systemtilgangen",
        "current_clients": "Lagt til",
        "addable_clients": "Kan legges til",
        "not_addable_clients": "Kan ikke legges til",
        "missing_packages": "Mangler tilgangspakker",
        "add_selected": "Legg til valgte",
        "remove": "Fjern",
        "clients_link": "Klienter",
        "delete": "Slett",
        "pending_heading": "Ventende systemtilgang-forespørsler",
        "accesses_heading": "Systemtilganger",
        "inbox_heading": "Varsler",
        "badge_standard": "Godkjenn egen systemtilgang",
        "badge_agent": "Godkjenn systemtilgang for klienter",
        "badge_clients": "for klienter",
        "created": "Opprettet",
        "none": "Ingen",
        "unread": "Ulest",
        "mark_read": "Marker som lest",
        "inbox_unavailable": "Varslene kan ikke vises akkurat nå.",
        "not_manager": "Du er ikke tilgangsstyrer for denne virksomheten.",
    },
    "en": {
        "title": "System access",
        "login_failed": "Login failed",
        "login_failed_detail": (
            "We could not confirm who you are. You are not logged in. Please log in again."
        ),
        "request_heading": "Approve system access",
        "agent_heading": "Approve system access for clients",
        "request_intro": "{vendor} asks for access to {party} through the system {system}.",
        "integration": "Integration",
        "vendor": "Vendor",
        "system": "System",
        "party": "Organisation",
        "rights": "Rights",
        "packages": "Access packages",
        "approve": "Approve",
        "reject": "Reject",
        "status_New": "New request",
        "status_Accepted": "This request has already been approved.",
        "status_Rejected": "This request has already been rejected.",
        "status_Timedout": "This request has expired.",
        "status_Withdrawn": "This request was withdrawn by the vendor.",
        "escalate_warning": (
            "You lack the authorisation needed to approve this request. "
            "Do you want to forward the request to an access manager?"
        ),
        "escalate_button": "Yes, forward",
        "close_logout": "Close and log out",
        "escalated_done": (
            "The request has been forwarded. The organisation's access managers have received it."
        ),
        "already_escalated": "This request has already been forwarded.",
        "finish": "Finish",
        "missing": "You lack",
        "forbidden_title": "No access",
        "forbidden": "You do not have sufficient authorisation for this organisation.",
        "not_found": "The request was not found.",
        "logged_out": "You are now logged out.",
        "logout": "Log out",
        "error_title": "Something went wrong",
        "decision_not_recorded": (
            "The decision was not recorded because the service is temporarily unavailable. "
            "Please try again shortly."
        ),
        "decision_pending": "The decision was received but is not processed yet. Reload the page shortly.",
        "too_many": "Too many attempts. Wait a moment and try again.",
        "language": "Norsk",
        "overview_heading": "System access",
        "clients_heading": "Clients of the system access",
        "current_clients": "Added",
        "addable_clients": "Can be added",
        "not_addable_clients": "Cannot be added",
        "missing_packages": "Missing access packages",
        "add_selected": "Add selected",
        "remove": "Remove",
        "clients_link": "Clients",
        "delete": "Delete",
        "pending_heading": "Pending system access requests",
        "accesses_heading": "System accesses",
        "inbox_heading": "Notifications",
        "badge_standard": "Approve own system access",
        "badge_agent": "Approve system access for clients",
        "badge_clients": "for clients",
        "created": "Created",
        "none": "None",
        "unread": "Unread",
        "mark_read": "Mark as read",
        "inbox_unavailable": "Notifications cannot be shown right now.",
        "not_manager": "You are not an access manager of this organisation.",
    },
}


def texts_for(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["nb"])

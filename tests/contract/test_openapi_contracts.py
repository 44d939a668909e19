"""Every HTTP API against its committed OpenAPI document, and the promises the documents make.

A deliberate change of an API is committed with `make openapi` (python -m sysaccess.openapi
write); until then this test names the documents that moved.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.request_intake.domain.references import NOT_BLANK
from sysaccess.openapi import APPS, committed, generate

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def intake_document() -> dict[str, Any]:
    return generate("request_intake")


@pytest.mark.parametrize("service", sorted(APPS))
def test_committed_openapi_is_current(service: str) -> None:
    """A deliberate change is committed with `make openapi`."""
    assert generate(service) == committed(service)


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def test_the_vendor_api_states_its_constraints(intake_document: dict[str, Any]) -> None:
    """What the rules refuse, the document says (issue 13): organisation numbers, the vendor's
    id, the system id, non-blank strings, the continuation token."""
    request = _schema(intake_document, "StandardRequestBody")["properties"]
    assert request["partyOrgNo"]["pattern"] == "^[0-9]{9}$"
    assert request["systemId"]["minLength"] == 1
    assert request["systemId"]["pattern"] == NOT_BLANK
    system = _schema(intake_document, "SystemBody")["properties"]
    assert system["id"]["pattern"].startswith("^[0-9]{9}_")
    assert _schema(intake_document, "VendorRef")["properties"]["ID"]["pattern"] == "^0192:[0-9]{9}$"
    listing = intake_document["paths"][
        "/authentication/api/v1/systemuser/request/vendor/bysystem/{system_id}"
    ]
    token = next(p for p in listing["get"]["parameters"] if p["name"] == "token")
    assert token["schema"]["pattern"] == "^[A-Za-z0-9_-]{0,200}$"


def test_an_empty_redirect_url_is_allowed(intake_document: dict[str, Any]) -> None:
    """Altinn takes redirectUrl "" as no redirect; the document must not forbid it."""
    for name in ("StandardRequestBody", "AgentRequestBody"):
        redirect = _schema(intake_document, name)["properties"]["redirectUrl"]
        assert "minLength" not in redirect["anyOf"][0]

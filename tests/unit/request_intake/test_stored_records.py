"""The JSON intake stores in Redis: same keys and values as before the typed records, and back."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import pytest

from services.request_intake.domain.accesses import access_from_event
from services.request_intake.domain.requests import AccessRequest, NaturalKey, new_request
from services.request_intake.domain.systems import validate_system
from services.request_intake.storage.keys import IntakeKeys, natural_key_hash
from services.request_intake.storage.records import (
    by_system_member,
    decode_access,
    decode_request,
    decode_system,
    encode_access,
    encode_request,
    encode_system,
)
from shared import events as ev
from tests.unit.request_intake.fakes import (
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    access_created,
    registered,
    seeded_spec,
    standard_spec,
    world,
)

pytestmark = pytest.mark.unit

CREATED = T0 + timedelta(microseconds=123_456)


def request() -> AccessRequest:
    description = validate_system(seeded_spec(), SMARTCLOUD, world())
    applied = new_request(
        standard_spec(),
        description,
        world(),
        request_id=UUID(int=1),
        now=CREATED,
        ttl=timedelta(days=180),
        require_known_party=False,
    )
    return applied.record


def test_request_json() -> None:
    stored = json.loads(encode_request(request()))
    assert stored == {
        "id": str(UUID(int=1)),
        "requestType": "standard",
        "systemId": SYSTEM_ID,
        "vendorOrgNo": SMARTCLOUD,
        "partyOrgNo": TIGER,
        "externalRef": "ref-1",
        "integrationTitle": "SmartCloud",
        "rights": ["ske-krav-og-betalinger"],
        "accessPackages": ["urn:altinn:accesspackage:skattnaering"],
        "redirectUrl": "https://smartcloud.example/receipt",
        "status": "New",
        "escalated": False,
        "created": "2026-11-29T10:00:00.123456+00:00",
        "createdMs": 1_795_946_400_123,
        "expiresAtMs": 1_795_946_400_123 + 180 * 86_400_000,
        "withdrawn": False,
    }


def test_request_round_trip_keeps_milliseconds() -> None:
    original = request()
    decoded = decode_request(encode_request(original))
    assert decoded.created == original.created
    assert decoded.expires_at == original.expires_at - timedelta(microseconds=456)
    assert encode_request(decoded) == encode_request(original)


def test_member_sorts_by_creation() -> None:
    assert by_system_member(request()) == f"1795946400123:{UUID(int=1)}"


def test_system_json_and_back() -> None:
    system = registered()
    stored = json.loads(encode_system(system))
    assert stored["id"] == SYSTEM_ID
    assert stored["vendor"] == {"authority": "iso6523-actorid-upis", "ID": "0192:314000110"}
    assert stored["rights"][0] == {
        "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}],
        "action": None,
    }
    assert (stored["vendorOrgNo"], stored["isDeleted"], stored["webhookUrl"]) == (SMARTCLOUD, False, None)
    assert (stored["created"], stored["updated"]) == ("2026-11-29T10:00:00+00:00",) * 2
    assert decode_system(encode_system(system)) == system


def test_access_json_and_back() -> None:
    access = access_from_event(access_created(request()))
    stored = json.loads(encode_access(access))
    assert list(stored) == [
        "id",
        "integrationTitle",
        "systemId",
        "reporteeOrgNo",
        "created",
        "isDeleted",
        "supplierOrgno",
        "externalRef",
        "userType",
        "rights",
        "accessPackages",
    ]
    assert (stored["supplierOrgno"], stored["reporteeOrgNo"], stored["userType"]) == (
        SMARTCLOUD,
        TIGER,
        "standard",
    )
    assert decode_access(encode_access(access)) == access


def test_keys() -> None:
    keys = IntakeKeys("intake")
    key = NaturalKey(SYSTEM_ID, TIGER, "ref-1")
    # Standard requests keep the key every pending request had before keys were typed (stored
    # data needs no migration); agent requests have their own.
    assert keys.latest_request(key, ev.RequestType.STANDARD) == f"intake:reqkey:{natural_key_hash(key)}"
    assert keys.untyped_latest_request(key) == f"intake:reqkey:{natural_key_hash(key)}"
    assert keys.latest_request(key, ev.RequestType.AGENT) == f"intake:reqkey:agent:{natural_key_hash(key)}"
    assert keys.by_system(ev.RequestType.AGENT, SYSTEM_ID) == f"intake:bysystem:agent:{SYSTEM_ID}"
    # The hash of the natural key is part of stored keys: it must never change.
    assert natural_key_hash(key) == "7addf9ec77bb32e9197ea5b2f8e37f075305982e40660417c665cb5377bced4d"

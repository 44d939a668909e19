"""The pure rules of system-user tokens and decisions: the token request, the system user's
claims, and Permit or Deny with the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.request_intake.domain.accesses import SystemAccess, mark_deleted
from services.request_intake.domain.decisions import Verdict, decide, resource_id
from services.request_intake.domain.system_users import (
    ACCESS_TOKEN_TYPE,
    JWT_TOKEN_TYPE,
    MP_303,
    TOKEN_EXCHANGE_GRANT,
    SystemUserAsk,
    TokenRequestRefused,
    granted_scopes,
    no_system_user,
    parse_authorization_details,
    parse_exchange,
    system_user_claims,
    system_user_of,
    systems_for_client,
)
from services.request_intake.domain.vendors import Vendor
from shared import events as ev
from shared.world import AccessPackage, World
from tests.unit.request_intake.fakes import (
    FLINK,
    PKG,
    SKATT,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    registered,
    seeded_spec,
    world,
)

pytestmark = pytest.mark.unit

TRYGG_BAKERI = "311543210"
STILLE_ELV = "315555000"
SIGNERING = PKG + "regnskapsforer-med-signeringsrettighet"
LONN = PKG + "regnskapsforer-lonn"
KRAV = "ske-krav-og-betalinger"
MVA = "app_skd_mva-melding"
SYKMELDING = "nav-sykmelding"
ACCESS_ID = "0f5e7c1e-3d4f-4a8a-9c43-6f1d2a9b7e10"


def details(**entry: Any) -> str:
    base: dict[str, Any] = {
        "type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{TIGER}"},
        "externalRef": "kunde-42",
    }
    return json.dumps([{**base, **entry}])


def refused_details(text: str) -> TokenRequestRefused:
    with pytest.raises(TokenRequestRefused) as caught:
        parse_authorization_details(text)
    assert caught.value.error == "invalid_authorization_details"
    return caught.value


# -- the token request ----------------------------------------------------------------------------


def test_authorization_details_name_the_customer_and_the_reference() -> None:
    assert parse_authorization_details(details()) == SystemUserAsk(TIGER, "kunde-42")
    assert parse_authorization_details(details(externalRef="  kunde-42 ")) == SystemUserAsk(TIGER, "kunde-42")


@pytest.mark.parametrize("missing", [None, ""])
def test_without_external_ref_the_org_number_is_the_reference(missing: str | None) -> None:
    assert parse_authorization_details(details(externalRef=missing)) == SystemUserAsk(TIGER, TIGER)


def test_lowercase_id_as_in_maskinportens_tokens_is_accepted() -> None:
    org = {"authority": "iso6523-actorid-upis", "id": f"0192:{FLINK}"}
    assert parse_authorization_details(details(systemuser_org=org)).org_no == FLINK


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not json", id="not-json"),
        pytest.param(json.dumps({"type": "urn:altinn:systemuser"}), id="object-not-array"),
        pytest.param("[]", id="empty"),
        pytest.param(json.dumps([json.loads(details())[0]] * 2), id="two-entries"),
        pytest.param(details(type="urn:altinn:other"), id="other-type"),
        pytest.param(details(systemuser_org={"authority": "x", "ID": f"0192:{TIGER}"}), id="authority"),
        pytest.param(
            details(systemuser_org={"authority": "iso6523-actorid-upis", "ID": TIGER}), id="no-0192-prefix"
        ),
        pytest.param(
            details(systemuser_org={"authority": "iso6523-actorid-upis", "ID": "0192:310614288"}),
            id="bad-check-digit",
        ),
        pytest.param(details(systemuser_org=f"0192:{TIGER}"), id="org-as-string"),
        pytest.param(details(externalRef=42), id="ref-not-a-string"),
        pytest.param(details(externalRef="x" * 256), id="ref-too-long"),
    ],
)
def test_malformed_authorization_details_are_refused(text: str) -> None:
    refused_details(text)


def form(**overrides: str | list[str] | None) -> dict[str, list[str]]:
    values: dict[str, str | list[str] | None] = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": "eyJ.vendor.token",
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "authorization_details": details(),
        **overrides,
    }
    return {k: v if isinstance(v, list) else [v] for k, v in values.items() if v is not None}


def test_a_token_exchange_request() -> None:
    parsed = parse_exchange(form(scope="krav:read krav:read", audience="krav-api"))
    assert parsed.subject_token == "eyJ.vendor.token"
    assert parsed.requested_token_type == ACCESS_TOKEN_TYPE
    assert parsed.ask == SystemUserAsk(TIGER, "kunde-42")
    assert parsed.scopes == ("krav:read",)
    assert parsed.audience == "krav-api"
    assert parse_exchange(form(resource="krav-api")).audience == "krav-api"
    assert parse_exchange(form(requested_token_type=JWT_TOKEN_TYPE)).requested_token_type == JWT_TOKEN_TYPE
    assert parse_exchange(form()).scopes is None


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"grant_type": "client_credentials"}, "unsupported_grant_type", id="grant"),
        pytest.param({"grant_type": None}, "invalid_request", id="no-grant"),
        pytest.param({"subject_token": None}, "invalid_request", id="no-subject-token"),
        pytest.param({"subject_token": ""}, "invalid_request", id="empty-subject-token"),
        pytest.param({"subject_token": "x" * 9000}, "invalid_request", id="huge-subject-token"),
        pytest.param({"subject_token_type": "urn:x"}, "invalid_request", id="subject-type"),
        pytest.param({"requested_token_type": "urn:x"}, "invalid_request", id="requested-type"),
        pytest.param({"authorization_details": None}, "invalid_request", id="no-details"),
        pytest.param({"actor_token": "eyJ.other"}, "invalid_request", id="delegation"),
        pytest.param({"subject_token": ["a", "b"]}, "invalid_request", id="twice"),
        pytest.param({"scope": "a  b"}, "invalid_scope", id="double-space"),
        pytest.param({"scope": ""}, "invalid_scope", id="empty-scope"),
        pytest.param({"audience": "a", "resource": "b"}, "invalid_target", id="two-targets"),
        pytest.param({"audience": "a\nb"}, "invalid_target", id="control-char"),
        pytest.param({"authorization_details": "[]"}, "invalid_authorization_details", id="details"),
    ],
)
def test_malformed_token_requests_are_refused_as_oauth_does(
    overrides: dict[str, str | list[str] | None], error: str
) -> None:
    with pytest.raises(TokenRequestRefused) as caught:
        parse_exchange(form(**overrides))
    assert caught.value.error == error


def test_scopes_must_be_held_by_the_subject_token() -> None:
    held = frozenset({"krav:read", "krav:write"})
    assert granted_scopes(None, held) == ("krav:read", "krav:write")
    assert granted_scopes(("krav:read",), held) == ("krav:read",)
    with pytest.raises(TokenRequestRefused) as caught:
        granted_scopes(("krav:read", "skatt:admin"), held)
    assert caught.value.error == "invalid_scope"
    assert "skatt:admin" in caught.value.description


def test_a_system_is_found_by_its_vendor_and_client_id() -> None:
    listed = registered(seeded_spec(clientId=["314000110", "other-client"]))
    deleted = registered(seeded_spec(id="314000110_old", clientId=["314000110"])).model_copy(
        update={"is_deleted": True}
    )
    foreign = registered(seeded_spec(id="313222225_x", clientId=["314000110"]), vendor=FLINK)
    unlisted = registered(seeded_spec(id="314000110_other", clientId=[]))
    found = systems_for_client([listed, deleted, foreign, unlisted], SMARTCLOUD, "314000110")
    assert found == [listed]
    assert systems_for_client([listed], SMARTCLOUD, "nobody") == []


def test_no_system_user_is_maskinportens_mp_303() -> None:
    refused = no_system_user(SystemUserAsk(TIGER, "kunde-42"), [registered()])
    assert refused.error == MP_303 == "invalid_altinn_customer_configuration"
    assert refused.description.endswith("(MP-303)")
    assert all(part in refused.description for part in (SYSTEM_ID, TIGER, "'kunde-42'"))


def access(**changes: Any) -> SystemAccess:
    fields: dict[str, Any] = {
        "id": ACCESS_ID,
        "request_type": ev.RequestType.STANDARD,
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "party_org_no": TIGER,
        "external_ref": "kunde-42",
        "integration_title": "SmartCloud",
        "rights": (KRAV,),
        "access_packages": (SKATT,),
        "created": T0,
        **changes,
    }
    return SystemAccess.model_validate(fields)


def test_the_claims_are_shaped_like_maskinportens_system_user_token() -> None:
    vendor = Vendor(SMARTCLOUD, frozenset({"krav:read"}), client_id="314000110")
    claims = system_user_claims(
        access(),
        vendor,
        scopes=("krav:read",),
        audience="krav-api",
        issuer="https://intake.example/oauth2",
        issued_at=1_800_000_000,
        lifetime_seconds=120,
        jti="j-1",
    )
    assert claims == {
        "iss": "https://intake.example/oauth2",
        "aud": "krav-api",
        "iat": 1_800_000_000,
        "nbf": 1_800_000_000,
        "exp": 1_800_000_120,
        "jti": "j-1",
        "token_type": "Bearer",
        "client_id": "314000110",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:314000110"},
        "scope": "krav:read",
        "authorization_details": [
            {
                "type": "urn:altinn:systemuser",
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:310614289"},
                "systemuser_id": [ACCESS_ID],
                "system_id": SYSTEM_ID,
                "externalRef": "kunde-42",
            }
        ],
    }
    named = system_user_of(claims)
    assert named is not None
    assert (named.system_user_id, named.org_no, named.system_id) == (ACCESS_ID, TIGER, SYSTEM_ID)
    assert system_user_of({"authorization_details": [{"type": "other"}]}) is None
    assert system_user_of({}) is None


# -- decisions ------------------------------------------------------------------------------------


def decision(
    found: SystemAccess | None,
    resource: str = KRAV,
    organisation: str = TIGER,
    *,
    clients: tuple[str, ...] = (),
    action: str = "read",
    system_live: bool = True,
    in_world: World | None = None,
) -> Any:
    return decide(
        found,
        system_user_id=ACCESS_ID,
        system_live=system_live,
        clients=frozenset(clients),
        world=in_world or world(),
        resource=resource,
        action=action,
        organisation=organisation,
    )


def test_a_granted_right_is_permitted() -> None:
    verdict = decision(access())
    assert (verdict.verdict, verdict.code, verdict.granted_by) == (Verdict.PERMIT, "granted_right", KRAV)
    assert decision(access(), resource=f"urn:altinn:resource:{KRAV}").verdict is Verdict.PERMIT
    assert resource_id(f"urn:altinn:resource:{KRAV}") == KRAV


def test_a_resource_in_a_granted_package_is_permitted() -> None:
    verdict = decision(access(rights=()), MVA)
    assert (verdict.verdict, verdict.code, verdict.granted_by) == (Verdict.PERMIT, "granted_package", SKATT)
    assert "contains app_skd_mva-melding" in verdict.reason


@pytest.mark.parametrize("action", ["read", "write", "sign", "access"])
def test_a_grant_covers_every_known_action(action: str) -> None:
    assert decision(access(), action=action).verdict is Verdict.PERMIT


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        pytest.param({"resource": SYKMELDING}, "not_granted", id="never-granted"),
        pytest.param({"organisation": FLINK}, "other_party", id="other-organisation"),
        pytest.param({"action": "delete"}, "unknown_action", id="unknown-action"),
        pytest.param({"resource": "no-such-resource"}, "unknown_resource", id="unknown-resource"),
        pytest.param({"system_live": False}, "system_deleted", id="system-deleted"),
    ],
)
def test_denied_with_the_reason(kwargs: dict[str, Any], code: str) -> None:
    verdict = decision(access(), **kwargs)
    assert (verdict.verdict, verdict.code) == (Verdict.DENY, code)
    assert verdict.reason


def test_deleted_and_unknown_system_users_are_denied() -> None:
    assert decision(mark_deleted(access())).code == "deleted"
    unknown = decision(None)
    assert (unknown.verdict, unknown.code) == (Verdict.DENY, "unknown_system_user")
    assert ACCESS_ID in unknown.reason


def test_a_package_without_contents_contains_nothing_and_the_decision_says_so() -> None:
    bare = world().model_copy(
        update={
            "access_packages": tuple(
                p
                if p.name != "skattnaering"
                else AccessPackage.model_validate({**p.model_dump(), "resources": ()})
                for p in world().access_packages
            )
        }
    )
    verdict = decision(access(rights=()), MVA, in_world=bare)
    assert (verdict.verdict, verdict.code) == (Verdict.DENY, "not_granted")
    assert verdict.notes == (
        f"The package {SKATT} lists no resources in the world file: treated as containing nothing",
    )
    unknown_package = decision(access(rights=(), access_packages=(PKG + "ukjent",)), MVA)
    assert unknown_package.code == "not_granted"
    assert "ukjent lists no resources" in unknown_package.notes[0]


def client_access(**changes: Any) -> SystemAccess:
    fields: dict[str, Any] = {
        "request_type": ev.RequestType.AGENT,
        "party_org_no": FLINK,
        "rights": (),
        "access_packages": (SIGNERING, LONN),
        **changes,
    }
    return access(**fields)


def test_a_client_system_user_acts_for_an_added_client_within_its_delegated_packages() -> None:
    verdict = decision(client_access(), KRAV, TIGER, clients=(TIGER,))
    assert (verdict.verdict, verdict.code, verdict.granted_by) == (
        Verdict.PERMIT,
        "granted_client_package",
        SIGNERING,
    )
    assert decision(client_access(), SYKMELDING, TIGER, clients=(TIGER,)).granted_by == LONN


def test_a_client_not_added_or_removed_is_denied() -> None:
    assert decision(client_access(), KRAV, TIGER, clients=()).code == "not_a_client"
    assert decision(client_access(), KRAV, TRYGG_BAKERI, clients=(TIGER,)).code == "not_a_client"


def test_a_client_system_user_never_acts_outside_what_the_client_delegated() -> None:
    # STILLE ELV delegated only regnskapsforer-lonn to FLINK: krav og betalinger is outside it.
    outside = decision(client_access(), KRAV, STILLE_ELV, clients=(STILLE_ELV,))
    assert (outside.verdict, outside.code) == (Verdict.DENY, "outside_client_packages")
    assert SIGNERING in outside.reason
    assert decision(client_access(), SYKMELDING, STILLE_ELV, clients=(STILLE_ELV,)).verdict is Verdict.PERMIT
    # A client that is added but has no relationship (the world changed) gets nothing.
    assert decision(client_access(), KRAV, SMARTCLOUD, clients=(SMARTCLOUD,)).code == "no_client_relationship"


def test_the_facilitator_added_as_its_own_client_acts_for_itself() -> None:
    own = client_access(access_packages=(SKATT,))
    assert decision(own, KRAV, FLINK, clients=(FLINK,)).verdict is Verdict.PERMIT
    assert decision(own, KRAV, FLINK, clients=()).code == "not_a_client"
    assert decision(own, SYKMELDING, FLINK, clients=(FLINK,)).code == "not_granted"

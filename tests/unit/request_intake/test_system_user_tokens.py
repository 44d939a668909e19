"""The use cases after approval on in-memory fakes: Maskinporten's lookup, the token exchange, the
decision point, and the signing keys with their rotation."""

from __future__ import annotations

import asyncio
import time
from itertools import count
from typing import Any
from uuid import UUID

import jwt
import pytest

from services.request_intake.domain.decisions import Verdict
from services.request_intake.domain.refusals import Refusal
from services.request_intake.domain.requests import AccessRequest
from services.request_intake.domain.system_users import (
    ACCESS_TOKEN_TYPE,
    MP_303,
    ExchangeRequest,
    SystemUserAsk,
    SystemUserTokenInvalid,
    TokenRequestRefused,
)
from services.request_intake.domain.vendors import Vendor
from services.request_intake.services.projections import OutcomeProjection
from services.request_intake.services.system_users import AccessDecisions, DecisionQuery, SystemUserTokens
from services.request_intake.storage.signing_keys import SigningKeys, parse_secrets
from shared import events as ev
from tests.unit.request_intake.fakes import (
    FLINK,
    PKG,
    SMARTCLOUD,
    SYSTEM_ID,
    T0,
    TIGER,
    Memory,
    MemoryAccessReader,
    MemoryOutcomeStore,
    MemorySystemStore,
    access_created,
    registered,
    seeded_spec,
    world,
)

pytestmark = pytest.mark.unit

ISSUER = "https://intake.test/oauth2"
KEY_A = "a" * 43
KEY_B = "b" * 43
CLIENT_ID = SMARTCLOUD  # the provider's client id of SMARTCLOUD AS (its organisation number)
VENDOR = Vendor(SMARTCLOUD, frozenset({"krav:read", "krav:write"}), client_id=CLIENT_ID)
KRAV = "ske-krav-og-betalinger"
SIGNERING = PKG + "regnskapsforer-med-signeringsrettighet"
LONN = PKG + "regnskapsforer-lonn"
ids = count(1)


def the_system(memory: Memory, client_ids: tuple[str, ...] = (CLIENT_ID,)) -> None:
    memory.systems[SYSTEM_ID] = registered(seeded_spec(clientId=list(client_ids)))


async def approved(
    memory: Memory,
    external_ref: str = "kunde-42",
    *,
    request_type: ev.RequestType = ev.RequestType.STANDARD,
    party: str = TIGER,
    packages: tuple[str, ...] = (PKG + "skattnaering",),
) -> AccessRequest:
    """A request, approved: the access as the approval service's SystemAccessCreated leaves it."""
    request = AccessRequest(
        id=str(UUID(int=next(ids))),
        request_type=request_type,
        system_id=SYSTEM_ID,
        vendor_org_no=SMARTCLOUD,
        party_org_no=party,
        external_ref=external_ref,
        integration_title="SmartCloud",
        rights=(KRAV,) if request_type is ev.RequestType.STANDARD else (),
        access_packages=packages,
        created=T0,
        expires_at=T0,
    )
    memory.requests[request.id] = request
    await OutcomeProjection(MemoryOutcomeStore(memory)).access_created(access_created(request))
    return request


async def deleted(memory: Memory, request: AccessRequest) -> None:
    await OutcomeProjection(MemoryOutcomeStore(memory)).access_deleted(
        ev.SystemAccessDeleted(
            system_access_id=UUID(request.id),
            system_id=request.system_id,
            vendor_org_no=request.vendor_org_no,
            party_org_no=request.party_org_no,
            external_ref=request.external_ref,
            deleted_by="12887010186",
        )
    )


async def client_event(memory: Memory, request: AccessRequest, client: str, *, added: bool) -> None:
    fields: dict[str, Any] = {
        "system_access_id": UUID(request.id),
        "system_id": SYSTEM_ID,
        "vendor_org_no": SMARTCLOUD,
        "facilitator_org_no": request.party_org_no,
        "client_org_no": client,
    }
    projection = OutcomeProjection(MemoryOutcomeStore(memory))
    if added:
        await projection.client_added(ev.ClientAdded(added_by="17848310182", **fields))
    else:
        await projection.client_removed(ev.ClientRemoved(removed_by="17848310182", **fields))


@pytest.fixture
def signer() -> SigningKeys:
    return SigningKeys([KEY_A])


@pytest.fixture
def tokens(memory: Memory, signer: SigningKeys) -> SystemUserTokens:
    the_system(memory)
    return SystemUserTokens(
        MemoryAccessReader(memory),
        MemorySystemStore(memory),
        signer,
        world(),
        issuer=ISSUER,
        lifetime_seconds=120,
        new_jti=lambda: "jti-1",
    )


@pytest.fixture
def decisions(memory: Memory, signer: SigningKeys) -> AccessDecisions:
    return AccessDecisions(
        MemoryAccessReader(memory), MemorySystemStore(memory), signer, world(), issuer=ISSUER
    )


def ask(org_no: str = TIGER, external_ref: str = "kunde-42", **changes: Any) -> ExchangeRequest:
    fields: dict[str, Any] = {
        "subject_token": "provider-token",
        "requested_token_type": ACCESS_TOKEN_TYPE,
        "ask": SystemUserAsk(org_no, external_ref),
        "scopes": None,
        "audience": None,
        **changes,
    }
    return ExchangeRequest(**fields)


async def refused(tokens: SystemUserTokens, request: ExchangeRequest, vendor: Vendor = VENDOR) -> str:
    with pytest.raises(TokenRequestRefused) as caught:
        await tokens.exchange(vendor, request)
    return caught.value.error


# -- Maskinporten's lookup ------------------------------------------------------------------------


async def test_by_external_id_finds_the_live_system_user(tokens: SystemUserTokens, memory: Memory) -> None:
    request = await approved(memory)
    found = await tokens.by_external_id(CLIENT_ID, SMARTCLOUD, TIGER, "kunde-42")
    assert (found.access.id, found.supplier_name) == (request.id, "SMARTCLOUD AS")
    default_ref = await approved(memory, external_ref=TIGER)
    assert (await tokens.by_external_id(CLIENT_ID, SMARTCLOUD, TIGER, None)).access.id == default_ref.id


@pytest.mark.parametrize(
    ("client_id", "provider", "owner", "ref"),
    [
        pytest.param("other-client", SMARTCLOUD, TIGER, "kunde-42", id="client-id-not-listed"),
        pytest.param(CLIENT_ID, FLINK, TIGER, "kunde-42", id="other-provider"),
        pytest.param(CLIENT_ID, SMARTCLOUD, FLINK, "kunde-42", id="other-owner"),
        pytest.param(CLIENT_ID, SMARTCLOUD, TIGER, "kunde-43", id="other-ref"),
    ],
)
async def test_by_external_id_finds_nothing_else(
    tokens: SystemUserTokens, memory: Memory, client_id: str, provider: str, owner: str, ref: str
) -> None:
    await approved(memory)
    with pytest.raises(Refusal) as caught:
        await tokens.by_external_id(client_id, provider, owner, ref)
    assert caught.value.code == "AUTH-00015"


async def test_by_external_id_ignores_deleted_accesses_and_systems(
    tokens: SystemUserTokens, memory: Memory
) -> None:
    request = await approved(memory)
    await deleted(memory, request)
    with pytest.raises(Refusal):
        await tokens.by_external_id(CLIENT_ID, SMARTCLOUD, TIGER, "kunde-42")
    await approved(memory)
    memory.systems[SYSTEM_ID] = memory.systems[SYSTEM_ID].model_copy(update={"is_deleted": True})
    with pytest.raises(Refusal):
        await tokens.by_external_id(CLIENT_ID, SMARTCLOUD, TIGER, "kunde-42")


# -- the token exchange ---------------------------------------------------------------------------


async def test_a_token_for_the_customers_system_user(
    tokens: SystemUserTokens, memory: Memory, signer: SigningKeys
) -> None:
    request = await approved(memory)
    before = int(time.time())
    issued = await tokens.exchange(VENDOR, ask(scopes=("krav:read",), audience="krav-api"))
    assert (issued.expires_in, issued.scopes, issued.system_user_id) == (120, ("krav:read",), request.id)
    assert issued.token_type == ACCESS_TOKEN_TYPE
    header = jwt.get_unverified_header(issued.access_token)
    assert (header["alg"], header["kid"]) == ("ES256", signer.current_kid)
    claims = signer.verify(issued.access_token, issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 120
    assert before <= claims["iat"] <= int(time.time())
    assert claims["aud"] == "krav-api"
    assert claims["client_id"] == CLIENT_ID
    assert claims["consumer"]["ID"] == "0192:314000110"
    assert claims["authorization_details"] == [
        {
            "type": "urn:altinn:systemuser",
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:310614289"},
            "systemuser_id": [request.id],
            "system_id": SYSTEM_ID,
            "externalRef": "kunde-42",
        }
    ]


async def test_no_active_system_user_is_mp_303_and_no_token(tokens: SystemUserTokens, memory: Memory) -> None:
    assert await refused(tokens, ask()) == MP_303  # never approved
    request = await approved(memory)
    assert await tokens.exchange(VENDOR, ask())
    assert await refused(tokens, ask(external_ref="kunde-43")) == MP_303
    assert await refused(tokens, ask(org_no=FLINK)) == MP_303
    await deleted(memory, request)
    assert await refused(tokens, ask()) == MP_303  # a deleted system user stops new tokens at once


async def test_the_vendors_client_id_must_be_listed_by_its_system(
    tokens: SystemUserTokens, memory: Memory
) -> None:
    await approved(memory)
    unlisted = Vendor(SMARTCLOUD, VENDOR.scopes, client_id="another-integration")
    with pytest.raises(TokenRequestRefused) as caught:
        await tokens.exchange(unlisted, ask())
    assert caught.value.error == MP_303
    assert "'another-integration'" in caught.value.description
    assert await refused(tokens, ask(), Vendor(SMARTCLOUD, VENDOR.scopes)) == "invalid_grant"
    other_vendor = Vendor(FLINK, VENDOR.scopes, client_id=CLIENT_ID)
    assert await refused(tokens, ask(), other_vendor) == MP_303


async def test_scopes_beyond_the_subject_token_are_refused(tokens: SystemUserTokens, memory: Memory) -> None:
    await approved(memory)
    assert await refused(tokens, ask(scopes=("krav:admin",))) == "invalid_scope"
    assert (await tokens.exchange(VENDOR, ask())).scopes == ("krav:read", "krav:write")


async def test_a_client_system_user_is_asked_for_with_the_facilitators_org(
    tokens: SystemUserTokens, memory: Memory, signer: SigningKeys
) -> None:
    request = await approved(
        memory, "klient-1", request_type=ev.RequestType.AGENT, party=FLINK, packages=(SIGNERING, LONN)
    )
    issued = await tokens.exchange(VENDOR, ask(org_no=FLINK, external_ref="klient-1"))
    claims = signer.verify(issued.access_token, issuer=ISSUER)
    assert claims["authorization_details"][0]["systemuser_org"]["ID"] == f"0192:{FLINK}"
    assert claims["authorization_details"][0]["systemuser_id"] == [request.id]
    assert await refused(tokens, ask(org_no=TIGER, external_ref="klient-1")) == MP_303


# -- decisions ------------------------------------------------------------------------------------


async def test_decisions_by_token_and_by_id(
    tokens: SystemUserTokens, decisions: AccessDecisions, memory: Memory
) -> None:
    request = await approved(memory)
    token = (await tokens.exchange(VENDOR, ask())).access_token
    by_token = await decisions.decide(DecisionQuery(KRAV, "read", TIGER, token=token))
    assert (by_token.verdict, by_token.code, by_token.system_user_id) == (
        Verdict.PERMIT,
        "granted_right",
        request.id,
    )
    by_id = await decisions.decide(DecisionQuery("nav-sykmelding", "read", TIGER, system_user_id=request.id))
    assert (by_id.verdict, by_id.code) == (Verdict.DENY, "not_granted")
    await deleted(memory, request)
    after = await decisions.decide(DecisionQuery(KRAV, "read", TIGER, token=token))
    assert (after.verdict, after.code) == (Verdict.DENY, "deleted")


async def test_tokens_not_signed_here_or_expired_are_denied(
    tokens: SystemUserTokens, decisions: AccessDecisions, memory: Memory, signer: SigningKeys
) -> None:
    request = await approved(memory)
    stranger = SigningKeys([KEY_B])
    claims = signer.verify((await tokens.exchange(VENDOR, ask())).access_token, issuer=ISSUER)
    forged = stranger.sign(claims)
    expired = signer.sign({**claims, "iat": claims["iat"] - 600, "exp": claims["iat"] - 300})
    other_issuer = signer.sign({**claims, "iss": "https://elsewhere.example"})
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    for token in (forged, expired, other_issuer, unsigned, "not-a-token"):
        found = await decisions.decide(DecisionQuery(KRAV, "read", TIGER, token=token))
        assert (found.verdict, found.code) == (Verdict.DENY, "invalid_token"), token
    assert (
        await decisions.decide(DecisionQuery(KRAV, "read", TIGER, system_user_id=request.id))
    ).verdict is (Verdict.PERMIT)


async def test_client_decisions_follow_the_clients_added_and_removed(
    tokens: SystemUserTokens, decisions: AccessDecisions, memory: Memory
) -> None:
    request = await approved(
        memory, "klient-1", request_type=ev.RequestType.AGENT, party=FLINK, packages=(SIGNERING, LONN)
    )
    token = (await tokens.exchange(VENDOR, ask(org_no=FLINK, external_ref="klient-1"))).access_token

    async def verdict(client: str = TIGER) -> str:
        return (await decisions.decide(DecisionQuery(KRAV, "read", client, token=token))).code

    assert await verdict() == "not_a_client"
    await client_event(memory, request, TIGER, added=True)
    assert await verdict() == "granted_client_package"
    assert await verdict("311543210") == "not_a_client"
    await client_event(memory, request, TIGER, added=False)
    assert await verdict() == "not_a_client"


async def test_a_system_deleted_from_the_register_denies(decisions: AccessDecisions, memory: Memory) -> None:
    the_system(memory)
    request = await approved(memory)
    memory.systems[SYSTEM_ID] = memory.systems[SYSTEM_ID].model_copy(update={"is_deleted": True})
    found = await decisions.decide(DecisionQuery(KRAV, "read", TIGER, system_user_id=request.id))
    assert found.code == "system_deleted"


# -- signing keys ---------------------------------------------------------------------------------


def test_keys_derive_from_the_secrets_the_same_in_every_instance() -> None:
    one, two = SigningKeys([KEY_A]), SigningKeys([KEY_A])
    assert one.jwks() == two.jwks()
    jwk = one.jwks()["keys"][0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in jwk
    assert SigningKeys([KEY_B]).current_kid != one.current_kid
    token = one.sign({"iss": ISSUER, "iat": int(time.time()), "exp": int(time.time()) + 60})
    assert two.verify(token, issuer=ISSUER)["iss"] == ISSUER
    public = jwt.PyJWK(jwk)
    assert jwt.decode(token, public.key, algorithms=["ES256"], issuer=ISSUER)["iss"] == ISSUER


def test_rotation_publishes_two_keys_and_the_first_signs() -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "iat": now, "exp": now + 60}
    old = SigningKeys([KEY_A])
    signed_by_old = old.sign(claims)
    announced = SigningKeys([KEY_A, KEY_B])  # the new key is published before it signs
    assert [k["kid"] for k in announced.jwks()["keys"]] == [old.current_kid, SigningKeys([KEY_B]).current_kid]
    assert announced.current_kid == old.current_kid
    rotated = SigningKeys([KEY_B, KEY_A])  # the new key signs; the old one still verifies
    assert rotated.current_kid == SigningKeys([KEY_B]).current_kid
    assert rotated.verify(signed_by_old, issuer=ISSUER)
    assert rotated.verify(rotated.sign(claims), issuer=ISSUER)
    with pytest.raises(SystemUserTokenInvalid, match="unknown signing key"):
        SigningKeys([KEY_B]).verify(signed_by_old, issuer=ISSUER)


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param("", id="empty"),
        pytest.param(" , ", id="only-commas"),
        pytest.param("short", id="short"),
        pytest.param(f"{KEY_A},{KEY_A}", id="twice"),
    ],
)
def test_signing_keys_must_be_long_random_secrets(setting: str) -> None:
    with pytest.raises(ValueError, match="INTAKE_SYSTEMUSER_SIGNING_KEYS"):
        parse_secrets(setting)
    assert parse_secrets(f" {KEY_A} , {KEY_B} ") == [KEY_A, KEY_B]


class CountingSystems(MemorySystemStore):
    """The register, counting its reads (each a round trip)."""

    reads = 0

    async def list_for_vendor(self, vendor_org_no: str) -> list[Any]:
        self.reads += 1
        await asyncio.sleep(0)
        return await super().list_for_vendor(vendor_org_no)


async def test_the_register_is_read_once_for_concurrent_misses_and_again_after_its_time(
    memory: Memory, signer: SigningKeys
) -> None:
    the_system(memory)
    await approved(memory)
    systems = CountingSystems(memory)
    now = [100.0]
    tokens = SystemUserTokens(
        MemoryAccessReader(memory),
        systems,
        signer,
        world(),
        issuer=ISSUER,
        lifetime_seconds=120,
        system_cache_seconds=2.0,
        monotonic=lambda: now[0],
    )
    issued = await asyncio.gather(*(tokens.exchange(VENDOR, ask()) for _ in range(50)))
    assert len(issued) == 50
    assert systems.reads == 1
    memory.systems[SYSTEM_ID] = memory.systems[SYSTEM_ID].model_copy(update={"is_deleted": True})
    assert await tokens.exchange(VENDOR, ask())  # the register is remembered for 2 s
    now[0] += 2.5
    assert await refused(tokens, ask()) == MP_303  # then the deleted system is seen
    assert systems.reads == 2

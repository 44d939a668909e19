"""The intake picks up a rotated signing key at the provider without a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from sysaccess import infra, oidc
from sysaccess.profiles import TEST
from sysaccess.vendor_tokens import ALL_SCOPES
from tests.conftest import RunningIntake, _running_intake, intake_settings
from tests.support.infra import Endpoints

SMARTCLOUD = "314000110"
SYSTEMS = "/authentication/api/v1/systemregister/vendor"


@pytest.fixture(scope="module")
def rotating_provider() -> Iterator[infra.InfraLayout]:
    """A provider of this module's own, so restarting it disturbs no other test."""
    layout = dataclasses.replace(
        TEST.infra, data_dir=TEST.var / "intake-rotation", oidc_port=infra.free_port()
    )
    shutil.rmtree(layout.data_dir, ignore_errors=True)
    infra.start_oidc(layout)
    try:
        yield layout
    finally:
        infra.stop_oidc(layout)


@pytest.fixture(scope="module")
async def intake_on_it(
    endpoints: Endpoints, rotating_provider: infra.InfraLayout
) -> AsyncIterator[RunningIntake]:
    issuer = rotating_provider.oidc_issuer(oidc.MASKINPORTEN)
    async for running in _running_intake(intake_settings(endpoints, token_issuer=issuer)):
        yield running


async def status(intake: RunningIntake, token: str) -> int:
    response: httpx.Response = await intake.client.get(SYSTEMS, headers=intake.auth(token))
    return response.status_code


async def test_a_rotated_key_is_picked_up_and_the_old_one_refused(
    intake_on_it: RunningIntake, rotating_provider: infra.InfraLayout
) -> None:
    old_token = oidc.vendor_token(rotating_provider.oidc_url, SMARTCLOUD, ALL_SCOPES)
    unused_old_token = oidc.vendor_token(rotating_provider.oidc_url, "313222225", ALL_SCOPES)
    assert await status(intake_on_it, old_token) == 200

    await asyncio.to_thread(infra.rotate_oidc_keys, rotating_provider)
    new_token = oidc.vendor_token(rotating_provider.oidc_url, SMARTCLOUD, ALL_SCOPES)

    assert await status(intake_on_it, new_token) == 200  # one refetch of the JWKS, no restart
    # A token signed with the key the provider no longer has is refused (the intake refetched
    # already and does not fetch again within its rate limit).
    assert await status(intake_on_it, unused_old_token) == 401

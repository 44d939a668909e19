"""A vendor organisation's POSTs are limited per minute, across instances (windows in Redis)."""

from __future__ import annotations

import uuid

from tests.conftest import TokenFactory, _running_intake, intake_settings
from tests.support.infra import Endpoints

REQUESTS = "/authentication/api/v1/systemuser/request/vendor"


def body() -> dict[str, object]:
    return {
        "systemId": "314000110_smartcloud",
        "partyOrgNo": "310614289",
        "externalRef": str(uuid.uuid4()),
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "redirectUrl": "https://smartcloud.example/receipt",
    }


async def test_posts_over_the_limit_get_429_and_other_vendors_are_not_affected(
    endpoints: Endpoints, token_for: TokenFactory
) -> None:
    settings = intake_settings(endpoints, vendor_posts_per_minute=3)
    async for intake in _running_intake(settings):
        smartcloud = intake.auth(token_for())
        codes = [
            (await intake.client.post(REQUESTS, json=body(), headers=smartcloud)).status_code
            for _ in range(4)
        ]
        refused = await intake.client.post(REQUESTS, json=body(), headers=smartcloud)
        reads = await intake.client.get(f"{REQUESTS}/bysystem/314000110_smartcloud", headers=smartcloud)
        other = await intake.client.post(
            "/authentication/api/v1/systemregister/vendor",
            json={},
            headers=intake.auth(token_for("313222225")),
        )
    assert codes == [201, 201, 201, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["content-type"] == "application/problem+json"
    assert reads.status_code == 200  # reads are not limited
    assert other.status_code == 400  # another vendor: its own window (a bad body, not a 429)

"""No secret has a public default: outside a local setup a service refuses to start without it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.approval.settings import ApprovalSettings
from services.notifier.settings import NotifierSettings
from services.request_intake.settings import IntakeSettings

pytestmark = pytest.mark.unit
LOGINS = {"kafka_username": "svc", "kafka_password": "p" * 32, "redis_password": "r" * 32}


@pytest.mark.parametrize("settings_class", [IntakeSettings, ApprovalSettings, NotifierSettings])
def test_a_production_start_without_secrets_is_refused(
    settings_class: type[IntakeSettings | ApprovalSettings | NotifierSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SYSACCESS_ENV", raising=False)
    with pytest.raises(ValidationError) as refused:
        settings_class(**LOGINS)  # type: ignore[arg-type]
    assert "INTERNAL_TOKEN" in str(refused.value)


@pytest.mark.parametrize("settings_class", [IntakeSettings, ApprovalSettings, NotifierSettings])
def test_kafka_and_redis_logins_are_required_outside_a_local_setup(
    settings_class: type[IntakeSettings | ApprovalSettings | NotifierSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SYSACCESS_ENV", raising=False)
    secrets = dict.fromkeys(settings_class.generated_secrets, "s" * 40)
    with pytest.raises(ValidationError) as refused:
        settings_class(**secrets)  # type: ignore[arg-type]
    assert "KAFKA_USERNAME" in str(refused.value)
    settings_class(**secrets, **LOGINS)  # type: ignore[arg-type]


def test_a_local_setup_gets_random_secrets_for_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYSACCESS_ENV", "local")
    first, second = ApprovalSettings(), ApprovalSettings()
    assert len(first.cookie_secret.get_secret_value()) >= 32
    assert first.cookie_secret.get_secret_value() != second.cookie_secret.get_secret_value()

"""approval settings (environment prefix ``APPROVAL_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shared.world import DEFAULT_WORLD_FILE


class ApprovalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPROVAL_", extra="ignore")
    generated_secrets: ClassVar[tuple[str, ...]] = (
        "internal_token",
        "notifier_token",
        "oidc_client_secret",
        "cookie_secret",
    )

    port: int = Field(default=8002, description="HTTP port of the portal and its BFF")
    redis_prefix: str = Field(default="approval", description="Key prefix of this service in Redis")
    consumer_group: str = Field(default="approval", description="Kafka consumer group id")
    world_file: Path = Field(default=DEFAULT_WORLD_FILE, description="Directory seed file")
    public_base_url: str = Field(default="http://127.0.0.1:8002", description="Base URL of the portal")
    session_idle_minutes: float = Field(default=15, description="Session idle timeout (minutes)")
    session_absolute_hours: float = Field(default=8, description="Session absolute lifetime (hours)")
    decision_timeout_seconds: float = Field(
        default=15, description="How long a portal request waits for the worker's outcome"
    )
    seed_directory: bool = Field(default=True, description="Load the world file into the directory at start")
    oidc_issuer: str = Field(
        default="http://127.0.0.1:18080/idporten",
        description="OpenID Connect issuer people log in with (ID-porten: https://idporten.no)",
    )
    oidc_browser_issuer: str | None = Field(
        default=None,
        description=(
            "The issuer's URL as browsers reach it, when it differs from the one this service uses "
            "(as in docker-compose); the login and logout pages are sent there"
        ),
    )
    oidc_client_id: str = Field(
        default="sysaccess-portal", description="The portal's client id at the issuer"
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""), description="The portal's client secret at the issuer"
    )
    oidc_minimum_acr: str = Field(
        default="idporten-loa-substantial", description="Lowest level of assurance accepted at login"
    )
    cookie_secret: SecretStr = Field(
        default=SecretStr(""), description="Signs the short-lived login and logout cookies"
    )
    notifier_url: str = Field(default="http://127.0.0.1:8003", description="Notifier base URL (inbox API)")
    notifier_token: SecretStr = Field(
        default=SecretStr(""), description="Service token for the notifier's internal API"
    )
    decisions_per_minute: int = Field(
        default=30,
        description="Decisions (approve, reject, forward) one person may send per minute; 0 = no limit",
    )
    logins_per_minute: int = Field(
        default=20, description="Login attempts one client address may make per minute; 0 = no limit"
    )
    new_request_wait_seconds: float = Field(
        default=2.0,
        description=(
            "How long a decision on a request this service has not heard of yet waits for it to "
            "arrive (a vendor may send its user from its POST straight to the portal); 0 = answer 404 at once"
        ),
    )
    decisions_via_kafka: bool = Field(
        default=False,
        description=(
            "Send the portal's decisions through the decide-request topic to the worker instead of "
            "applying them in the portal's request (same transaction, one Kafka round trip more)"
        ),
    )
    decision_command_max_age_seconds: float = Field(
        default=600, description="The worker refuses a decision command older than this (replays)"
    )
    expiry_check_seconds: float = Field(default=5, description="How often expiry and reminders are checked")

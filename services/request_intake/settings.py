"""request_intake settings (environment prefix ``INTAKE_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shared.world import DEFAULT_WORLD_FILE


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    generated_secrets: ClassVar[tuple[str, ...]] = (
        "internal_token",
        "webhook_seal_keys",
        "systemuser_signing_keys",
    )

    port: int = Field(default=8001, description="HTTP port of the vendor API")
    redis_prefix: str = Field(default="intake", description="Key prefix of this service in Redis")
    consumer_group: str = Field(default="request-intake", description="Kafka consumer group id")
    portal_base_url: str = Field(
        default="http://127.0.0.1:8002", description="Base URL of the portal, used in confirmUrl"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Base URL of this API, used in Location headers",
    )
    token_issuer: str = Field(
        default="http://127.0.0.1:18080/maskinporten",
        description="Issuer of vendor tokens (Maskinporten: https://maskinporten.no/)",
    )
    token_jwks_url: str | None = Field(
        default=None,
        description="JWKS of the token issuer (Maskinporten: https://maskinporten.no/jwk); "
        "default <issuer>/jwks",
    )
    token_audience: str = Field(
        default="sysaccess-intake", description="The audience vendor tokens must be issued for"
    )
    token_max_lifetime_seconds: int = Field(
        default=300, description="Longest lifetime (exp - iat) a vendor token may have"
    )
    world_file: Path = Field(default=DEFAULT_WORLD_FILE, description="Seed file (resources, packages)")
    seed_systems: bool = Field(
        default=False, description="Register the seed file's systems at start (development)"
    )
    request_ttl_days: float = Field(default=180, description="Days before a pending request times out")
    page_size: int = Field(default=50, description="Requests (and system users) per page in bysystem lists")
    require_known_party: bool = Field(
        default=False, description="Refuse parties that are not in the seed file's organisations"
    )
    webhook_seal_keys: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Keys (32+ characters each, comma-separated; the first seals) that seal the webhook "
            "signing secrets in Redis and on Kafka; the notifier holds the same keys"
        ),
    )
    webhook_secret_grace_hours: float = Field(
        default=24, description="How long a rotated-out webhook signing secret still signs deliveries"
    )
    allow_loopback_http_webhooks: bool = Field(
        default=False, description="Development only: accept http:// webhook URLs on 127.0.0.1/localhost"
    )
    vendor_posts_per_minute: int = Field(
        default=600, description="POSTs one vendor organisation may make per minute; 0 = no limit"
    )
    outbox_relay: bool = Field(
        default=True,
        description="Run the outbox relay in this process (off: another process relays)",
    )
    systemuser_signing_keys: SecretStr = Field(
        default=SecretStr(""),
        description="Secrets (32+ characters, comma-separated) the ES256 keys of system-user tokens "
        "derive from; the first signs, all are published at /oauth2/jwks (rotation: old,new then "
        "new,old then new). Required unless SYSACCESS_ENV=local",
    )
    systemuser_token_seconds: int = Field(
        default=120, ge=10, le=3600, description="Lifetime of a system-user token (Maskinporten: 120 s)"
    )
    systemuser_system_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long the token endpoint and the lookup remember which systems list a client id "
        "(a register change takes effect after at most this long; 0: read the register every time). "
        "System users themselves are always read fresh",
    )
    systemuser_issuer: str | None = Field(
        default=None, description="Issuer (iss) of system-user tokens; default <public_base_url>/oauth2"
    )

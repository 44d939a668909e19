"""request_intake settings (environment prefix ``INTAKE_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.secrets import fill_secrets
from shared.world import DEFAULT_WORLD_FILE


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to")
    port: int = Field(default=8001, description="HTTP port of the vendor API")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers")
    redis_url: str = Field(default="redis://127.0.0.1:16379/0", description="Redis URL for state")
    redis_prefix: str = Field(default="intake", description="Key prefix of this service in Redis")
    consumer_group: str = Field(default="request-intake", description="Kafka consumer group id")
    portal_base_url: str = Field(
        default="http://127.0.0.1:8002", description="Base URL of the portal, used in confirmUrl"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Base URL of this API, used in Location headers",
    )
    jwks_file: Path = Field(
        default=Path("var/dev-keys/jwks.json"), description="JWKS file with the token signing keys"
    )
    token_issuers: list[str] = Field(
        default=["https://maskinporten.dev.sysaccess.local/"],
        description="Accepted token issuers",
    )
    world_file: Path = Field(default=DEFAULT_WORLD_FILE, description="Seed file (resources, packages)")
    seed_systems: bool = Field(
        default=False, description="Register the seed file's systems at start (development)"
    )
    request_ttl_days: float = Field(default=180, description="Days before a pending request times out")
    page_size: int = Field(default=50, description="Requests per page in bysystem lists")
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
    outbox_relay: bool = Field(
        default=True,
        description="Run the outbox relay in this process (off: another process relays)",
    )
    log_level: str = Field(default="INFO", description="Log level")
    json_logs: bool = Field(default=True, description="Log as JSON lines")

    @model_validator(mode="after")
    def _webhook_seal_keys_are_set(self) -> Self:
        fill_secrets(self, ("webhook_seal_keys",), "INTAKE_")
        return self

"""notifier settings (environment prefix ``NOTIFIER_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.secrets import fill_secrets
from shared.world import DEFAULT_WORLD_FILE


class NotifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to")
    port: int = Field(default=8003, description="HTTP port (health, metrics, inbox API)")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers")
    redis_url: str = Field(default="redis://127.0.0.1:16379/0", description="Redis URL for state")
    redis_prefix: str = Field(default="notifier", description="Key prefix of this service in Redis")
    consumer_group: str = Field(default="notifier", description="Kafka consumer group id")
    world_file: Path = Field(default=DEFAULT_WORLD_FILE, description="Seed file (people and their e-mail)")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host")
    smtp_port: int = Field(default=2525, description="SMTP server port")
    smtp_sender: str = Field(default="sysaccess <no-reply@sysaccess.example>", description="From address")
    smtp_timeout_seconds: float = Field(default=10, description="SMTP connect and send timeout")
    portal_base_url: str = Field(
        default="http://127.0.0.1:8002", description="Portal base URL used in links in e-mails"
    )
    webhook_seal_keys: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Keys that open the sealed webhook signing secrets (intake's INTAKE_WEBHOOK_SEAL_KEYS; "
            "comma-separated, 32+ characters each)"
        ),
    )
    webhook_timeout_seconds: float = Field(
        default=5,
        description="Deadline of one whole webhook attempt: resolving, connecting, sending and the answer",
    )
    webhook_max_response_bytes: int = Field(
        default=64 * 1024, description="At most this much of a receiver's answer is read"
    )
    allow_loopback_http_webhooks: bool = Field(
        default=False,
        description=(
            "Development and tests only: send webhooks to http(s) receivers on 127.0.0.0/8, ::1 or localhost"
        ),
    )
    max_in_flight: int = Field(
        default=16, description="Delivery attempts under way at once, e-mail and webhooks together"
    )
    max_in_flight_per_host: int = Field(
        default=4,
        description="Attempts under way at once to one webhook host (and to the SMTP relay); webhooks "
        "together get at most max_in_flight minus this, the rest is kept for e-mail",
    )
    busy_host_delay_seconds: float = Field(
        default=0.5, description="How long a job waits when its host already has its share under way"
    )
    max_attempts: int = Field(default=6, description="Delivery attempts before a dead letter")
    first_retry_seconds: float = Field(default=1.0, description="Delay before the first retry; doubles")
    max_retry_seconds: float = Field(default=300, description="Longest delay between attempts")
    lease_seconds: float = Field(
        default=30, description="How long a claimed delivery is hidden from other workers"
    )
    internal_token: SecretStr = Field(
        default=SecretStr("dev-internal-token"), description="Bearer token the portal uses for the inbox API"
    )
    log_level: str = Field(default="INFO", description="Log level")
    json_logs: bool = Field(default=True, description="Log as JSON lines")

    @model_validator(mode="after")
    def _webhook_seal_keys_are_set(self) -> Self:
        fill_secrets(self, ("webhook_seal_keys",), "NOTIFIER_")
        return self

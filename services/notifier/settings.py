"""notifier settings (environment prefix ``NOTIFIER_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shared.world import DEFAULT_WORLD_FILE


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")
    generated_secrets: ClassVar[tuple[str, ...]] = ("internal_token", "webhook_seal_keys")

    port: int = Field(default=8003, description="HTTP port (health, metrics, inbox API)")
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
        default=32,
        description="Delivery attempts under way at once, e-mail and webhooks together; several times "
        "max_in_flight_per_host, so that a few hostile hosts cannot hold most of it",
    )
    max_in_flight_per_host: int = Field(
        default=4,
        description="Attempts under way at once to one webhook host (and to the SMTP relay); webhooks "
        "together get at most max_in_flight minus this, the rest is kept for e-mail",
    )
    busy_host_delay_seconds: float = Field(
        default=0.5, description="How long a job waits when its host already has its share under way"
    )
    idle_poll_seconds: float = Field(
        default=0.1,
        gt=0,
        le=5,
        description=(
            "Pause between looks for due deliveries while none is due or every slot is taken (a "
            "finished attempt ends it at once): the longest a new e-mail or webhook waits to start, "
            "against the idle cost of looking"
        ),
    )
    max_attempts: int = Field(default=6, description="Delivery attempts before a dead letter")
    first_retry_seconds: float = Field(default=1.0, description="Delay before the first retry; doubles")
    max_retry_seconds: float = Field(default=300, description="Longest delay between attempts")
    lease_seconds: float = Field(
        default=30, description="How long a claimed delivery is hidden from other workers"
    )

"""notifier settings (environment prefix ``NOTIFIER_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shared.world import DEFAULT_WORLD_FILE


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

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
    webhook_master_key: SecretStr = Field(
        default=SecretStr("dev-webhook-master-key"),
        description="Key the per-system webhook signing secrets derive from (same as intake's)",
    )
    webhook_timeout_seconds: float = Field(default=5, description="Timeout of one webhook attempt")
    max_attempts: int = Field(default=6, description="Delivery attempts before a dead letter")
    first_retry_seconds: float = Field(default=1.0, description="Delay before the first retry; doubles")
    max_retry_seconds: float = Field(default=300, description="Longest delay between attempts")
    lease_seconds: float = Field(
        default=30, description="How long a claimed delivery is hidden from other workers"
    )

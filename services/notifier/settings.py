"""notifier settings (environment prefix ``NOTIFIER_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to")
    port: int = Field(default=8003, description="HTTP port (health and metrics)")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers")
    redis_url: str = Field(default="redis://127.0.0.1:16379/0", description="Redis URL for state")
    redis_prefix: str = Field(default="notifier", description="Key prefix of this service in Redis")
    consumer_group: str = Field(default="notifier", description="Kafka consumer group id")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host")
    smtp_port: int = Field(default=2525, description="SMTP server port")
    portal_base_url: str = Field(
        default="http://127.0.0.1:8002", description="Portal base URL used in links in e-mails"
    )
    log_level: str = Field(default="INFO", description="Log level")
    json_logs: bool = Field(default=True, description="Log as JSON lines")

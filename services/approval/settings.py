"""approval settings (environment prefix ``APPROVAL_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.world import DEFAULT_WORLD_FILE


class ApprovalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPROVAL_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to")
    port: int = Field(default=8002, description="HTTP port of the portal and its BFF")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers")
    redis_url: str = Field(
        default="redis://127.0.0.1:16379/0", description="Redis URL for state and sessions"
    )
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
    dev_login: bool = Field(
        default=False, description="Enable the development identity provider (never in production)"
    )
    notifier_url: str = Field(default="http://127.0.0.1:8003", description="Notifier base URL (inbox API)")
    notifier_token: SecretStr = Field(
        default=SecretStr("dev-internal-token"), description="Service token for the notifier's inbox API"
    )
    decisions_per_minute: int = Field(
        default=30,
        description="Decisions (approve, reject, forward) one person may send per minute; 0 = no limit",
    )
    logins_per_minute: int = Field(
        default=20, description="Login attempts one client address may make per minute; 0 = no limit"
    )
    expiry_check_seconds: float = Field(default=5, description="How often expiry and reminders are checked")
    log_level: str = Field(default="INFO", description="Log level")
    json_logs: bool = Field(default=True, description="Log as JSON lines")

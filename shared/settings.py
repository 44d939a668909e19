"""What every service's settings have in common: where it listens, how it reaches Kafka and
Redis (and logs in to them), what its public port exposes, and how it logs.

Each service subclasses ``ServiceSettings`` with its own environment prefix and defaults.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from shared.kafka import KafkaCredentials
from shared.secrets import MissingSecret, fill_secrets, is_local
from shared.webapp import Exposure

__all__ = ["ServiceSettings"]


class ServiceSettings(BaseSettings):
    # Secrets that may be generated for the life of the process in a local setup.
    generated_secrets: ClassVar[tuple[str, ...]] = ("internal_token",)
    env_prefix_name: ClassVar[str] = ""

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to")
    port: int = Field(default=8000, description="HTTP port")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers")
    kafka_username: str | None = Field(
        default=None,
        description="SASL/SCRAM-SHA-512 user at Kafka (its principal); unset: no login (local only)",
    )
    kafka_password: SecretStr | None = Field(default=None, description="Password of the Kafka user")
    redis_url: str = Field(default="redis://127.0.0.1:16379/0", description="Redis URL")
    redis_username: str | None = Field(
        default=None, description="ACL user at Redis; unset: the URL's user, or none (local only)"
    )
    redis_password: SecretStr | None = Field(default=None, description="Password of the Redis user")
    internal_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token of internal callers (health details, internal APIs)"
    )
    public_docs: bool = Field(default=True, description="Serve /docs and /openapi.json on the public port")
    public_metrics: bool = Field(default=True, description="Serve /metrics on the public port")
    ops_port: int | None = Field(
        default=None,
        description="A second port for operators (/metrics, /docs, readiness details); when set, "
        "metrics and docs leave the public port",
    )
    ops_host: str = Field(default="127.0.0.1", description="Address the operators' port binds to")
    max_body_bytes: int = Field(default=64 * 1024, description="Largest request body accepted (413 above)")
    log_level: str = Field(default="INFO", description="Log level")
    json_logs: bool = Field(default=True, description="Log as JSON lines")
    access_log: bool = Field(
        default=True,
        description="Log every HTTP request (uvicorn's access log, with request_id and trace_id; "
        "successful probes and scrapes are left out)",
    )
    otlp_traces_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint to export trace spans to (e.g. "
        "http://otel-collector:4318/v1/traces); unset (the default): nothing is exported, and trace "
        "ids still appear in every log line and travel in Kafka headers",
    )

    @model_validator(mode="after")
    def _secrets_are_set(self) -> Self:
        prefix = str(self.model_config.get("env_prefix", ""))
        fill_secrets(self, self.generated_secrets, prefix)
        if not is_local():
            missing = [
                f"{prefix}{name.upper()}"
                for name, value in (
                    ("kafka_username", self.kafka_username),
                    ("kafka_password", self.kafka_password),
                    ("redis_password", self.redis_password),
                )
                if not value
            ]
            if missing:
                raise MissingSecret(
                    f"Kafka and Redis need logins outside a local setup: set {', '.join(missing)}"
                )
        return self

    def kafka_credentials(self) -> KafkaCredentials | None:
        if self.kafka_username is None or self.kafka_password is None:
            return None
        return KafkaCredentials(self.kafka_username, self.kafka_password.get_secret_value())

    def redis_login(self) -> tuple[str | None, str | None]:
        password = self.redis_password.get_secret_value() if self.redis_password else None
        return self.redis_username, password

    def exposure(self, body_limits: tuple[tuple[str, int], ...] = ()) -> Exposure:
        separate = self.ops_port is not None
        return Exposure(
            docs=self.public_docs and not separate,
            metrics=self.public_metrics and not separate,
            internal_token=self.internal_token.get_secret_value(),
            max_body_bytes=self.max_body_bytes,
            body_limits=body_limits,
        )

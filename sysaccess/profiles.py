"""Port and folder layouts: the development run and the test run never share anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sysaccess import oidc
from sysaccess.credentials import application_env, service_env
from sysaccess.infra import PROJECT_ROOT, InfraLayout


@dataclass(frozen=True)
class Profile:
    name: str
    infra: InfraLayout
    intake_port: int
    approval_port: int
    notifier_port: int
    smtp_port: int

    @property
    def var(self) -> Path:
        return self.infra.data_dir

    @property
    def mail_dir(self) -> Path:
        return self.var / "mail"

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def service_env(self) -> dict[str, str]:
        """Environment for the three services, matching this profile's ports and folders."""
        kafka, redis = self.infra.kafka_bootstrap, self.infra.redis_url
        return {
            "INTAKE_PORT": str(self.intake_port),
            "INTAKE_KAFKA_BOOTSTRAP": kafka,
            "INTAKE_REDIS_URL": redis,
            "INTAKE_TOKEN_ISSUER": self.infra.oidc_issuer(oidc.MASKINPORTEN),
            "INTAKE_SEED_SYSTEMS": "true",
            "INTAKE_PORTAL_BASE_URL": self.url(self.approval_port),
            "INTAKE_PUBLIC_BASE_URL": self.url(self.intake_port),
            "INTAKE_ALLOW_LOOPBACK_HTTP_WEBHOOKS": "true",
            "APPROVAL_PORT": str(self.approval_port),
            "APPROVAL_KAFKA_BOOTSTRAP": kafka,
            "APPROVAL_REDIS_URL": redis,
            "APPROVAL_PUBLIC_BASE_URL": self.url(self.approval_port),
            "APPROVAL_OIDC_ISSUER": self.infra.oidc_issuer(oidc.IDPORTEN),
            "APPROVAL_NOTIFIER_URL": self.url(self.notifier_port),
            "NOTIFIER_PORT": str(self.notifier_port),
            "NOTIFIER_KAFKA_BOOTSTRAP": kafka,
            "NOTIFIER_REDIS_URL": redis,
            "NOTIFIER_SMTP_PORT": str(self.smtp_port),
            "NOTIFIER_ALLOW_LOOPBACK_HTTP_WEBHOOKS": "true",
            "NOTIFIER_PORTAL_BASE_URL": self.url(self.approval_port),
            **application_env(self.var),
            **(service_env(self.var) if self.infra.secure else {}),
        }


DEV = Profile(
    name="dev",
    infra=InfraLayout(
        PROJECT_ROOT / "var",
        kafka_port=19092,
        kafka_controller_port=19093,
        redis_port=16379,
        oidc_port=18080,
        secure=True,
    ),
    intake_port=8001,
    approval_port=8002,
    notifier_port=8003,
    smtp_port=2525,
)

TEST = Profile(
    name="test",
    infra=InfraLayout(
        PROJECT_ROOT / "var" / "test",
        kafka_port=29092,
        kafka_controller_port=29093,
        redis_port=26379,
        oidc_port=28080,
        secure=True,
    ),
    intake_port=28001,
    approval_port=28002,
    notifier_port=28003,
    smtp_port=22525,
)

"""A whole sysaccess system as real processes on its own Kafka, Redis and ports (chaos, benchmarks).

Everything lives under one folder and on free loopback ports, so several can run beside
`make run` and `make test`.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sysaccess import infra, oidc
from sysaccess.credentials import application_env, service_env
from sysaccess.portal_login import portal_login
from sysaccess.processes import ServiceProcess, service_processes, smtp_catcher
from sysaccess.vendor_tokens import VendorAuth, VendorTokens

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class LocalStack:
    folder: Path
    approval_instances: int = 1
    instances: int = 1
    """Instances of each service; ``approval_instances`` may ask for more approvals than that."""
    extra_env: dict[str, str] = field(default_factory=dict)
    infra_auth: bool = True
    """Kafka SASL/SCRAM with ACLs and Redis ACL users; off only to measure what they cost."""
    layout: infra.InfraLayout = field(init=False)
    processes: dict[str, ServiceProcess] = field(default_factory=dict, init=False)
    tokens: VendorTokens = field(init=False)

    def __post_init__(self) -> None:
        self.layout = infra.layout_on_free_ports(self.folder, secure=self.infra_auth)

    @property
    def mail_dir(self) -> Path:
        return self.folder / "mail"

    @property
    def intake(self) -> str:
        return self.processes["request_intake"].url

    @property
    def portal(self) -> str:
        return self.processes["approval"].url

    @property
    def intakes(self) -> list[str]:
        """Every intake instance's URL, the first one first."""
        return [self.processes[n].url for n in self._instances_of("request_intake")]

    @property
    def portals(self) -> list[str]:
        """Every approval instance's URL, the first one first."""
        return [self.processes[n].url for n in self._instances_of("approval")]

    def _instances_of(self, service: str) -> list[str]:
        return [service] + [
            n for n in sorted(self.processes) if n.startswith(service) and n[len(service) :].isdigit()
        ]

    def env(self) -> dict[str, str]:
        ports = {name: infra.free_port() for name in ("intake", "approval", "notifier", "smtp")}
        kafka, redis = self.layout.kafka_bootstrap, self.layout.redis_url
        base = {
            "INTAKE_PORT": str(ports["intake"]),
            "INTAKE_KAFKA_BOOTSTRAP": kafka,
            "INTAKE_REDIS_URL": redis,
            "INTAKE_TOKEN_ISSUER": self.layout.oidc_issuer(oidc.MASKINPORTEN),
            "INTAKE_SEED_SYSTEMS": "true",
            "INTAKE_PORTAL_BASE_URL": f"http://127.0.0.1:{ports['approval']}",
            "INTAKE_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
            "INTAKE_ALLOW_LOOPBACK_HTTP_WEBHOOKS": "true",
            "INTAKE_LOG_LEVEL": "WARNING",
            "APPROVAL_PORT": str(ports["approval"]),
            "APPROVAL_KAFKA_BOOTSTRAP": kafka,
            "APPROVAL_REDIS_URL": redis,
            "APPROVAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['approval']}",
            # One loopback address and a handful of people drive every flow here; the limits
            # themselves are proven in their own tests.
            "APPROVAL_LOGINS_PER_MINUTE": "0",
            "INTAKE_VENDOR_POSTS_PER_MINUTE": "0",
            "APPROVAL_DECISIONS_PER_MINUTE": "0",
            "APPROVAL_OIDC_ISSUER": self.layout.oidc_issuer(oidc.IDPORTEN),
            "APPROVAL_NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
            "APPROVAL_LOG_LEVEL": "WARNING",
            "NOTIFIER_PORT": str(ports["notifier"]),
            "NOTIFIER_KAFKA_BOOTSTRAP": kafka,
            "NOTIFIER_REDIS_URL": redis,
            "NOTIFIER_SMTP_PORT": str(ports["smtp"]),
            "NOTIFIER_ALLOW_LOOPBACK_HTTP_WEBHOOKS": "true",
            "NOTIFIER_PORTAL_BASE_URL": f"http://127.0.0.1:{ports['approval']}",
            "NOTIFIER_FIRST_RETRY_SECONDS": "0.5",
            "NOTIFIER_LEASE_SECONDS": "10",
            "NOTIFIER_LOG_LEVEL": "WARNING",
            **application_env(self.folder),
            **(service_env(self.folder) if self.infra_auth else {}),
        }
        return {**base, **self.extra_env}

    def start(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        infra.start_all(self.layout)
        self.tokens = VendorTokens(self.layout.oidc_url)
        env = self.env()
        logs = self.folder / "logs"
        self.processes = {p.name: p for p in service_processes(env, logs)}
        self.processes["smtp"] = smtp_catcher(int(env["NOTIFIER_SMTP_PORT"]), self.mail_dir, logs)
        extras = {
            "request_intake": ("INTAKE_PORT", self.instances),
            "approval": ("APPROVAL_PORT", max(self.instances, self.approval_instances)),
            "notifier": ("NOTIFIER_PORT", self.instances),
        }
        for service, (port_variable, count) in extras.items():
            for extra in range(2, count + 1):
                port = infra.free_port()
                name = f"{service}{extra}"
                self.processes[name] = ServiceProcess(
                    name,
                    port,
                    {**env, port_variable: str(port)},
                    logs / f"{name}.log",
                    module=f"services.{service}",
                )
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_healthy(timeout=90)

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        infra.stop_all(self.layout)

    def pids(self) -> dict[str, int]:
        found = {
            n: p.proc.pid for n, p in self.processes.items() if p.proc is not None and p.proc.poll() is None
        }
        kafka = self.layout.kafka_dir / "kafka.pid"
        redis = self.layout.redis_dir / "redis.pid"
        for name, pid_file in (("kafka", kafka), ("redis", redis)):
            if pid_file.exists():
                found[name] = int(pid_file.read_text())
        return found

    @property
    def vendor_token(self) -> str:
        """A current token of SMARTCLOUD AS (provider tokens live 120 s: ask again, do not keep it)."""
        return self.tokens.get()

    def vendor(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.intake, auth=VendorAuth(self.tokens), timeout=30)

    async def login(self, pid: str, portal: str | None = None) -> tuple[httpx.AsyncClient, str]:
        """A client logged in as ``pid`` at the (first, unless named) portal, and its CSRF token."""
        client = httpx.AsyncClient(
            base_url=portal or self.portal, timeout=30, limits=httpx.Limits(max_connections=200)
        )
        return client, await portal_login(client, pid)

    async def register_hook_system(self, webhook_url: str) -> str:
        system_id = f"314000110_chaos{uuid.uuid4().hex[:8]}"
        body: dict[str, Any] = {
            "id": system_id,
            "vendor": {"authority": "iso6523-actorid-upis", "ID": "0192:314000110"},
            "name": {"nb": "SmartCloud Chaos"},
            "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
            "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
            "allowedRedirectUrls": ["https://smartcloud.example/receipt"],
            "webhookUrl": webhook_url,
        }
        async with self.vendor() as vendor:
            response = await vendor.post("/authentication/api/v1/systemregister/vendor", json=body)
            response.raise_for_status()
        return system_id

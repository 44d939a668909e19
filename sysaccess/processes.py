"""Start, watch and kill the services as real processes (make run, end-to-end and fault tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sysaccess.infra import PROJECT_ROOT, InfraError, port_open

SERVICES = {
    "request_intake": "INTAKE_PORT",
    "approval": "APPROVAL_PORT",
    "notifier": "NOTIFIER_PORT",
}


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    module: str = ""
    args: tuple[str, ...] = ()
    health_path: str | None = "/readyz"
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module or f"services.{self.name}", *self.args],
                cwd=PROJECT_ROOT,
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            if self.health_path is None:
                if port_open(self.port):
                    return
            else:
                try:
                    if httpx.get(f"{self.url}{self.health_path}", timeout=1.0).status_code == 200:
                        return
                except (httpx.HTTPError, ValueError):
                    pass
            time.sleep(0.2)
        tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
        raise InfraError(f"{self.name} did not become healthy on {self.url}; log tail:\n{tail}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (fault tests)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def smtp_catcher(port: int, mail_dir: Path, log_dir: Path) -> ServiceProcess:
    """The local SMTP server that stores mail as .eml files (development and tests)."""
    return ServiceProcess(
        name="smtp",
        port=port,
        env={},
        log_path=log_dir / "smtp.log",
        module="sysaccess.smtp_catcher",
        args=("--port", str(port), "--dir", str(mail_dir)),
        health_path=None,
    )


def service_processes(
    env: dict[str, str], log_dir: Path, names: tuple[str, ...] = tuple(SERVICES)
) -> list[ServiceProcess]:
    return [
        ServiceProcess(name=name, port=int(env[SERVICES[name]]), env=env, log_path=log_dir / f"{name}.log")
        for name in names
    ]

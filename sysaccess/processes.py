"""Start, watch and kill the services as real processes (make run, end-to-end and fault tests).

A chaos or bench run keeps every process it starts in a ``ProcessRegistry``, which stops them
all on every way out: the end of the run, an exception, a signal, interpreter exit (atexit),
and, through a small watchdog process (``sysaccess.reaper``), the run's own death by SIGKILL.
Besides the pids it was told about, the registry finds a run's processes by a marker in their
environment (``SYSACCESS_RUN=<id>``, inherited by everything the run starts, Kafka and Redis
included) and by the run's folder in their command line.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sysaccess.infra import PROJECT_ROOT, InfraError, InfraLayout, port_open

RUN_MARKER = "SYSACCESS_RUN"

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
        registry = active_registry()
        if registry is not None and registry.closed:
            raise InfraError(f"not starting {self.name}: the run is stopping")
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
        if registry is not None:
            registry.track(self.proc.pid, self.name)

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


# -- every process of a run, stopped on every way out ------------------------------------------------


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (with the pid, it names one process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19])


def alive(pid: int, started: int | None = None) -> bool:
    """The process exists, is not a zombie, and (when given) is the one that started then."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return started is None or int(fields[19]) == started


def marked_processes(run_id: str, folder: Path | None, exclude: Iterable[int] = ()) -> list[int]:
    """Pids of live processes of a run: with its marker in their environment, or its folder in
    their command line or as (part of) their working directory. redis-server overwrites its
    command line and environment with its title, but works in its data folder."""
    marker = f"{RUN_MARKER}={run_id}".encode()
    needle = str(folder).encode() if folder is not None else None
    inside = f"{folder}{os.sep}" if folder is not None else None
    skip = {os.getpid(), *exclude}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in skip:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        ours = marker in environ.split(b"\0") or (
            needle is not None
            and inside is not None
            and (needle in cmdline or f"{cwd}{os.sep}".startswith(inside))
        )
        if ours and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def _belongs_to(pid: int, folder: Path) -> bool:
    """The process names the folder in its command line or works inside it."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return str(folder).encode() in cmdline or f"{cwd}{os.sep}".startswith(f"{folder}{os.sep}")


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process's group when it leads one (every process here starts its own session),
    else the process alone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def terminate(pids: dict[int, int | None], grace: float) -> list[int]:
    """SIGTERM every process (with its group), SIGKILL what is left after ``grace`` seconds;
    return the pids that had to be killed."""
    live = {pid: started for pid, started in pids.items() if alive(pid, started)}
    for pid in live:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p, s) for p, s in live.items()):
        time.sleep(0.1)
    killed = [pid for pid, started in live.items() if alive(pid, started)]
    for pid in killed:
        _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(p, live[p]) for p in killed):
        time.sleep(0.05)
    return killed


_ACTIVE: list[ProcessRegistry] = []


def active_registry() -> ProcessRegistry | None:
    return _ACTIVE[-1] if _ACTIVE else None


@dataclass
class ProcessRegistry:
    """The processes of one run (chaos scenario, benchmark), and the means to stop all of them."""

    folder: Path
    label: str = "run"
    grace: float = 10.0
    run_id: str = field(init=False)
    closed: bool = field(default=False, init=False)
    _tracked: dict[int, tuple[str, int | None]] = field(default_factory=dict, init=False)
    _layouts: list[InfraLayout] = field(default_factory=list, init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False)
    _reaper: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _previous_marker: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.run_id = f"{self.label}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    # -- life cycle -----------------------------------------------------------------------------
    def open(self) -> ProcessRegistry:
        self._previous_marker = os.environ.get(RUN_MARKER)
        os.environ[RUN_MARKER] = self.run_id  # inherited by every process the run starts
        self._reaper = self._start_reaper()
        atexit.register(self.stop_all)
        _ACTIVE.append(self)
        return self

    def close(self) -> None:
        """Stop everything, then let the watchdog make a last sweep and exit."""
        self.stop_all()
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        atexit.unregister(self.stop_all)
        if self._previous_marker is None:
            os.environ.pop(RUN_MARKER, None)
        else:
            os.environ[RUN_MARKER] = self._previous_marker
        if self._reaper is not None:
            self._send("done")
            with contextlib.suppress(OSError):
                assert self._reaper.stdin is not None
                self._reaper.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._reaper.wait(timeout=10)

    @contextlib.contextmanager
    def running(self) -> Iterator[ProcessRegistry]:
        self.open()
        try:
            yield self
        finally:
            self.close()

    # -- what the run starts --------------------------------------------------------------------
    def track(self, pid: int, name: str) -> None:
        """Remember a process of the run. After the run began stopping, stop it at once: a
        thread that was still starting something must not leave it behind."""
        started = start_time(pid)
        with self._lock:
            self._tracked[pid] = (name, started)
            late = self.closed
        self._send(f"track {pid} {started if started is not None else -1}")
        if late:
            terminate({pid: started}, grace=2.0)

    def track_layout(self, layout: InfraLayout) -> None:
        """Kafka and Redis of a layout, found by their pid files whenever the registry stops (so
        also those started, or started again, after this call)."""
        with self._lock:
            self._layouts.append(layout)

    def pids(self) -> dict[int, int | None]:
        with self._lock:
            found = {pid: started for pid, (_, started) in self._tracked.items()}
            layouts = list(self._layouts)
        for layout in layouts:
            for pid_file in (layout.kafka_dir / "kafka.pid", layout.redis_dir / "redis.pid"):
                with contextlib.suppress(OSError, ValueError):
                    pid = int(pid_file.read_text().strip())
                    if _belongs_to(pid, layout.data_dir):  # not a stale file's recycled pid
                        found.setdefault(pid, start_time(pid))
        return found

    def leftovers(self) -> list[int]:
        """Live processes of the run, by registry, marker and folder."""
        exclude = [self._reaper.pid] if self._reaper is not None else []
        tracked = [pid for pid, started in self.pids().items() if alive(pid, started)]
        return sorted({*tracked, *marked_processes(self.run_id, self.folder, exclude)})

    def stop_all(self, grace: float | None = None) -> list[int]:
        """Stop every process of the run (idempotent, safe from a signal handler or atexit);
        return the pids that had to be SIGKILLed."""
        with self._lock:
            self.closed = True
        pids = self.pids()
        exclude = [self._reaper.pid] if self._reaper is not None else []
        for pid in marked_processes(self.run_id, self.folder, exclude):
            pids.setdefault(pid, start_time(pid))
        return terminate(pids, self.grace if grace is None else grace)

    # -- the watchdog ---------------------------------------------------------------------------
    def _start_reaper(self) -> subprocess.Popen[bytes] | None:
        env = {k: v for k, v in os.environ.items() if k != RUN_MARKER}
        try:
            reaper = subprocess.Popen(
                [sys.executable, "-m", "sysaccess.reaper"],
                cwd=PROJECT_ROOT,
                env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C to the terminal's group must not reach it
            )
        except OSError:
            return None
        self._reaper = reaper
        # The folder goes through the pipe, not the command line, so the reaper does not match
        # its own sweep (nor a test's).
        self._send(f"run {self.run_id}")
        self._send(f"folder {self.folder}")
        return reaper

    def _send(self, line: str) -> None:
        reaper = self._reaper
        if reaper is None or reaper.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            reaper.stdin.write(f"{line}\n".encode())
            reaper.stdin.flush()

"""Chaos and bench runs end within their deadline and leave no process behind, however they end:
interrupted mid-scenario by SIGTERM or SIGINT, killed outright (SIGKILL, as a timeout from
outside may do), or stopped by their own deadline."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sysaccess.infra import PROJECT_ROOT
from sysaccess.processes import ProcessRegistry

SCENARIO = "redis-restart"


def run_processes(needles: list[bytes]) -> dict[int, str]:
    """Live processes (not zombies) whose command line, environment or working directory holds one
    of the needles (redis-server overwrites its command line and environment, but works in its
    data folder)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            cwd = os.readlink(entry / "cwd").encode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(n in cmdline or n in environ or n in cwd for n in needles):
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


class Run:
    """`sysaccess ...` as a subprocess of its own session, its output in a file."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.output = tmp_path / "output.txt"
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sysaccess.cli", *args],
                cwd=PROJECT_ROOT,
                env={**os.environ, "COLUMNS": "200"},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def needles(self, folder: Path) -> list[bytes]:
        # Everything a run starts carries its marker (chaos-<scenario>-<pid>-...) in its
        # environment, and Kafka, Redis, the SMTP catcher and the services name its folder.
        return [str(folder).encode(), f"SYSACCESS_RUN=chaos-{SCENARIO}-{self.proc.pid}-".encode()]

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.text:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"never printed {text!r}:\n{self.text[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def chaos_run(tmp_path: Path) -> Iterator[tuple[Run, Path]]:
    run = Run(tmp_path, "chaos", SCENARIO, "--flows", "50")
    folder = PROJECT_ROOT / "var" / "chaos" / f"{SCENARIO}-{run.proc.pid}"
    try:
        yield run, folder
    finally:
        run.stop()
        for pid in run_processes(run.needles(folder)):  # never leave a failed test's processes around
            os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


def assert_nothing_left(run: Run, folder: Path, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    left = run_processes(run.needles(folder))
    while left and time.monotonic() < deadline:
        time.sleep(0.3)
        left = run_processes(run.needles(folder))
    assert left == {}, f"processes of the run still alive: {left}\n{run.text[-2000:]}"


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("sig", "moment", "status"),
    [
        # Just after the fault started Redis again: the restarted redis-server must go too.
        (signal.SIGTERM, "fault: redis is back", 143),
        # While Redis is down and its restart is due: nothing may start it after the clean-up.
        (signal.SIGINT, "fault: restart redis", 130),
        # Killed outright, as `timeout -s KILL` would: the run's watchdog cleans up.
        (signal.SIGKILL, "driving 50 flows", -signal.SIGKILL),
    ],
    ids=["SIGTERM", "SIGINT", "SIGKILL"],
)
def test_an_interrupted_chaos_run_leaves_no_process(
    chaos_run: tuple[Run, Path], sig: signal.Signals, moment: str, status: int
) -> None:
    run, folder = chaos_run
    run.wait_for_line(moment, timeout=120)
    before = run.text
    started = run_processes(run.needles(folder))
    after = run.text
    names = " ".join(started.values())
    # The check below is not vacuous: it sees the run's Kafka, Redis and services.
    assert "kafka.Kafka" in names, started
    if "redis is back" in before or "restart redis" not in after:  # Redis was up during the scan
        assert "redis-server" in names, started
    assert names.count("-m services.") >= 3, started

    os.kill(run.proc.pid, sig)
    run.proc.wait(timeout=60)

    assert run.proc.returncode == status, run.text[-3000:]
    if sig != signal.SIGKILL:
        assert f"interrupted by {sig.name}" in run.text
        assert "while waiting on: " in run.text
        assert "still pending" in run.text
    assert_nothing_left(run, folder)


@pytest.mark.timeout(120)
def test_a_chaos_run_past_its_deadline_reports_what_it_waited_on_and_exits_non_zero(tmp_path: Path) -> None:
    run = Run(tmp_path, "chaos", SCENARIO, "--flows", "50", "--deadline", "3")
    folder = PROJECT_ROOT / "var" / "chaos" / f"{SCENARIO}-{run.proc.pid}"
    try:
        run.proc.wait(timeout=60)
        assert run.proc.returncode == 124, run.text
        text = " ".join(run.text.split())  # undo the terminal's line wrapping
        assert "deadline of 3s reached" in text
        assert "while waiting on: starting Kafka, Redis and the services" in text
        assert "lost 0, duplicated 0, still pending 50" in text
        assert_nothing_left(run, folder)
    finally:
        run.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(120)
def test_a_benchmark_past_its_deadline_reports_and_stops_everything(tmp_path: Path) -> None:
    run = Run(tmp_path, "bench", "intake", "--requests", "100000", "--deadline", "20")
    try:
        run.proc.wait(timeout=90)
        assert run.proc.returncode == 124, run.text
        text = " ".join(run.text.split())
        assert "deadline of 20s reached" in text
        assert "while waiting on: " in text
        folder = PROJECT_ROOT / "var" / "test" / "bench-intake"
        needles = [str(folder).encode(), f"SYSACCESS_RUN=bench-intake-{run.proc.pid}-".encode()]
        left = run_processes(needles)
        deadline = time.monotonic() + 20
        while left and time.monotonic() < deadline:
            time.sleep(0.3)
            left = run_processes(needles)
        assert left == {}, left
    finally:
        run.stop()


def test_the_registry_stops_what_it_was_told_of_and_what_carries_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    (folder / "redis").mkdir(parents=True)
    registry = ProcessRegistry(folder, "probe")

    def sleeper(env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["sleep", "300"], start_new_session=True, env=env, cwd=cwd)

    with registry.running():
        told = sleeper(env={})
        registry.track(told.pid, "told")
        marked = sleeper()  # inherits the run's marker, as Kafka and the services do
        in_folder = sleeper(env={}, cwd=folder / "redis")  # as redis-server, which hides the rest
        stranger = sleeper(env={})
        found = registry.leftovers()
        assert {told.pid, marked.pid, in_folder.pid} <= set(found)
        assert stranger.pid not in found
    try:
        for process in (told, marked, in_folder):
            assert process.wait(timeout=15) is not None
        assert stranger.poll() is None, "a process of no run is left alone"
        # A process that shows up after the run stopped (a thread was still starting it) goes at once.
        late = sleeper()
        registry.track(late.pid, "late")
        assert late.wait(timeout=10) is not None
    finally:
        stranger.kill()
        stranger.wait()

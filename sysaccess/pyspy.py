"""py-spy profiles of running services, and where their CPU went, by library.

A benchmark attaches ``py-spy record`` (raw, collapsed stacks; idle threads left out) to each
service for its measured steps; ``summarize`` then gives each service's samples by the library
the sampled frame was in, from the innermost frame outwards, so "redis-py" means time spent in
the Redis client's own code wherever it was called from.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

__all__ = ["CATEGORIES", "Profiler", "summarize"]

# First match wins, frames read from the innermost one outwards; a frame's file is matched by
# the folder it is in (py-spy shows site-packages and standard-library files by their module path).
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("redis-py", ("redis/",)),
    ("aiokafka", ("aiokafka/", "kafka/")),
    ("FastStream", ("faststream/", "fast_depends/")),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("OpenTelemetry", ("opentelemetry/",)),
    ("prometheus-client", ("prometheus_client/",)),
    ("logging", ("structlog/", "logging/")),
    ("JSON", ("json/", "orjson/")),
    ("HTTP server", ("uvicorn/", "starlette/", "fastapi/", "httptools/", "h11/")),
    ("HTTP client", ("httpx/", "httpcore/")),
    ("e-mail", ("email/", "smtplib.py", "aiosmtplib/")),
    ("cryptography and JWT", ("jwt/", "cryptography/", "hashlib.py", "hmac.py")),
    ("project code", ("services/", "shared/", "sysaccess/")),
)
EVENT_LOOP = "event loop (uvloop, C code under it)"
STDLIB_ASYNCIO = re.compile(r"/python3\.\d+/asyncio/|/site-packages/uvloop/")
LOOP_FILES = ("/asyncio/runners.py", "/asyncio/base_events.py", "/uvloop/__init__.py")


@dataclass
class Profiler:
    """``py-spy record`` on each named process until ``stop``; raw output under ``folder``."""

    folder: Path
    rate: int = 100
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: list[IO[bytes]] = field(default_factory=list)

    @staticmethod
    def binary() -> str | None:
        """py-spy beside this Python (the project's venv, `make` installs it), else on PATH."""
        beside = Path(sys.executable).parent / "py-spy"
        return str(beside) if beside.exists() else shutil.which("py-spy")

    def start(self, pids: dict[str, int]) -> None:
        binary = self.binary()
        if binary is None:
            raise RuntimeError("py-spy is not installed (pip install '.[tools]')")
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            # py-spy's own messages (why a profile is missing, if one is) go beside the profiles.
            log = (self.folder / f"{name}.log").open("wb")
            self.logs.append(log)
            self.running[name] = subprocess.Popen(
                [
                    binary,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(self.rate),
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--output",
                    str(self.path(name)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.txt"

    def stop(self) -> dict[str, Path]:
        """Stop every recorder (each writes its file on SIGINT); the files that were written."""
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        written = {n: self.path(n) for n in self.running if self.path(n).exists()}
        self.running.clear()
        for log in self.logs:
            log.close()
        self.logs.clear()
        return written


def category_of(stack: str) -> str:
    """The library a sample's innermost known frame is in. asyncio's own frames are seen through
    to their caller (a socket write in ``asyncio/streams.py`` is charged to whoever wrote); a
    sample with nothing above the loop is the loop itself, running C code (uvloop, httptools)."""
    frames = stack.split(";")
    innermost = _file_of(frames[-1]) if frames else ""
    # What started the loop (uvicorn's server, the CLI) is below every sample: only the frames of
    # the task the loop was running count.
    loop_frames = [
        i for i, f in enumerate(frames) if _is_loop_code(w := _file_of(f)) and w.endswith(LOOP_FILES)
    ]
    if loop_frames:
        frames = frames[loop_frames[-1] + 1 :]
    for frame in reversed(frames):
        where = _file_of(frame)
        if _is_loop_code(where):
            continue
        for name, folders in CATEGORIES:
            if any(f"/{folder}" in where for folder in folders):
                return f"{name} (socket writes)" if innermost.endswith("/asyncio/streams.py") else name
    return EVENT_LOOP if _is_loop_code(innermost) else "other"


def _is_loop_code(where: str) -> bool:
    # asyncio itself, not a library's own "asyncio" package (redis/asyncio/client.py).
    return where.startswith(("/asyncio/", "/uvloop/")) or bool(STDLIB_ASYNCIO.search(where))


def _file_of(frame: str) -> str:
    # "function (path/to/file.py:line)"
    return "/" + frame[frame.rfind("(") + 1 : frame.rfind(":")]


def summarize(raw: Path) -> tuple[int, list[tuple[str, float]]]:
    """Samples in a raw py-spy file, and their shares by category, largest first."""
    counts: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if stack and number.isdigit():
            counts[category_of(stack)] += int(number)
    total = sum(counts.values())
    if not total:
        return 0, []
    return total, [(name, n / total) for name, n in counts.most_common()]

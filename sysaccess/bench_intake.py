"""Intake benchmark: vendor POST -> SystemAccessRequested on Kafka, against a raw aiokafka baseline.

Both sides move the same payloads through the same broker with the same producer settings
(acks=all, idempotence on), and the latency clock of both stops when a consumer sees the record.

The run has an overall deadline; at the deadline, or on SIGINT/SIGTERM, it prints what the step
under way has counted and what it was waiting on, and stops every process it started.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shared.events import EXAMPLES
from shared.kafka import create_producer, ensure_topics
from shared.topics import ACCESS_REQUESTED
from sysaccess import infra, oidc
from sysaccess.credentials import service_env
from sysaccess.deadline import RunEnded, RunGuard, in_thread
from sysaccess.kafka_logins import admin_options
from sysaccess.processes import ServiceProcess
from sysaccess.profiles import Profile
from sysaccess.vendor_tokens import VendorTokens

SCOPES = [
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
    "altinn:authentication/systemregister.write",
]


@dataclass
class Figures:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Watcher:
    """Consumes a topic from its end and records when each awaited id shows up."""

    def __init__(self, bootstrap: str, topic: str, id_field: str) -> None:
        self.seen: dict[str, float] = {}
        self.duplicates = 0
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            group_id=f"bench-{uuid.uuid4().hex[:8]}",
            enable_auto_commit=False,
            **admin_options(bootstrap),
        )
        self._id_field = id_field
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        while not self._consumer.assignment():
            await asyncio.sleep(0.05)
        for tp in self._consumer.assignment():
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for msgs in batch.values():
                for msg in msgs:
                    try:
                        key = json.loads(msg.value)[self._id_field]
                    except (ValueError, KeyError, TypeError):
                        continue
                    self.duplicates += str(key) in self.seen
                    self.seen.setdefault(str(key), now)

    async def wait_for(self, ids: set[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not ids <= self.seen.keys() and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


@dataclass
class Live:
    """The step under way, for a deadline report."""

    name: str = ""
    total: int = 0
    started: dict[str, float] | None = None
    watcher: _Watcher | None = None
    errors: int = 0

    def __str__(self) -> str:
        sent = self.started or {}
        seen = self.watcher.seen if self.watcher is not None else {}
        arrived = sum(1 for i in sent if i in seen)
        duplicated = self.watcher.duplicates if self.watcher is not None else 0
        return (
            f"{self.name}: {len(sent)} of {self.total} sent, {arrived} seen on Kafka, lost {self.errors}, "
            f"duplicated {duplicated}, still pending {self.total - arrived - self.errors}"
        )


async def _intake_run(
    url: str,
    bootstrap: str,
    token: str,
    requests: int,
    concurrency: int,
    progress: Progress,
    live: Live | None = None,
) -> Figures:
    watcher = _Watcher(bootstrap, ACCESS_REQUESTED.name, "requestId")
    await watcher.start()
    started: dict[str, float] = {}
    errors = 0
    if live is not None:
        live.name, live.total, live.started, live.watcher, live.errors = (
            "intake POST -> event",
            requests,
            started,
            watcher,
            0,
        )
    task = progress.add_task("intake POST -> event", total=requests)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    run_id = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                i = queue.get_nowait()
                body = {
                    "systemId": "314000110_smartcloud",
                    "partyOrgNo": "310614289",
                    "externalRef": f"bench-{run_id}-{i}",
                    "rights": [
                        {"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}
                    ],
                    "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
                    "redirectUrl": "https://smartcloud.example/receipt",
                }
                t0 = time.perf_counter()
                response = await client.post("/authentication/api/v1/systemuser/request/vendor", json=body)
                if response.status_code == 201:
                    started[response.json()["id"]] = t0
                else:
                    errors += 1
                    if live is not None:
                        live.errors = errors
                progress.advance(task)

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await watcher.wait_for(set(started), timeout=60)
    end = max((watcher.seen[i] for i in started if i in watcher.seen), default=time.perf_counter())
    await watcher.stop()
    latencies = [(watcher.seen[i] - t0) * 1000 for i, t0 in started.items() if i in watcher.seen]
    lost = len(started) - len(latencies)
    if errors or lost:
        progress.console.print(f"[yellow]intake: {errors} HTTP errors, {lost} events not seen[/yellow]")
    return Figures("request_intake (HTTP+JWT+Redis outbox+relay)", len(latencies), end - begin, latencies)


async def _raw_run(
    bootstrap: str, count: int, concurrency: int, progress: Progress, live: Live | None = None
) -> Figures:
    """Bare aiokafka: produce the same event payload and see it consumed, same concurrency."""
    topic = "sysaccess.bench-raw.v1"
    from shared.events import RequestWithdrawn
    from shared.topics import Topic

    await ensure_topics(bootstrap, [Topic(topic, RequestWithdrawn, "request_id")])
    watcher = _Watcher(bootstrap, topic, "requestId")
    await watcher.start()
    producer = create_producer(bootstrap, "bench-raw")
    await producer.start()
    template = dict(EXAMPLES["SystemAccessRequested"])
    started: dict[str, float] = {}
    if live is not None:
        live.name, live.total, live.started, live.watcher, live.errors = (
            "raw aiokafka produce -> consume",
            count,
            started,
            watcher,
            0,
        )
    task = progress.add_task("raw aiokafka produce -> consume", total=count)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            request_id = str(uuid.uuid4())
            payload = json.dumps({**template, "requestId": request_id, "eventId": str(uuid.uuid4())}).encode()
            t0 = time.perf_counter()
            await producer.send_and_wait(topic, payload, key=request_id.encode())
            started[request_id] = t0
            progress.advance(task)

    begin = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await watcher.wait_for(set(started), timeout=60)
    end = max((watcher.seen[i] for i in started if i in watcher.seen), default=time.perf_counter())
    await producer.stop()
    await watcher.stop()
    latencies = [(watcher.seen[i] - t0) * 1000 for i, t0 in started.items() if i in watcher.seen]
    return Figures(
        "raw aiokafka (same payload, acks=all, idempotent)", len(latencies), end - begin, latencies
    )


def _machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cpus} cores, Python {platform.python_version()}"


def default_deadline(requests: int) -> float:
    """Start-up, both runs with their 60-second waits for the last records, and a margin."""
    return 300.0 + requests * 0.05


def run_intake_benchmark(
    profile: Profile,
    *,
    requests: int,
    concurrency: int,
    report: Path | None,
    console: Console,
    deadline: float | None = None,
) -> int:
    """Run, print and return the exit status (0, or 124 / 130 / 143 for a deadline or a signal)."""
    # Its own broker and Redis, so a benchmark never shares a data folder with `make test`.
    layout = infra.InfraLayout(
        profile.var / "bench-intake",
        kafka_port=infra.free_port(),
        kafka_controller_port=infra.free_port(),
        redis_port=infra.free_port(),
        oidc_port=infra.free_port(),
        secure=True,
    )
    # A broker's storage is formatted for one security mode: start from empty folders.
    shutil.rmtree(layout.kafka_dir, ignore_errors=True)
    shutil.rmtree(layout.redis_dir, ignore_errors=True)
    limit = default_deadline(requests) if deadline is None else deadline
    guard = RunGuard("bench-intake", layout.data_dir, limit, console, announce=True)
    live = Live()
    tokens = VendorTokens(layout.oidc_url)
    port = infra.free_port()
    # Named so the intake's Redis user and Kafka principal may use them (intake-*, request-intake*).
    prefix = f"intake-bench-{uuid.uuid4().hex[:8]}"
    env = {
        "INTAKE_PORT": str(port),
        "INTAKE_KAFKA_BOOTSTRAP": layout.kafka_bootstrap,
        "INTAKE_REDIS_URL": layout.redis_url,
        "INTAKE_REDIS_PREFIX": prefix,
        "INTAKE_CONSUMER_GROUP": f"request-{prefix}",
        "INTAKE_TOKEN_ISSUER": layout.oidc_issuer(oidc.MASKINPORTEN),
        "SYSACCESS_ENV": "local",
        **service_env(layout.data_dir),
        "INTAKE_SEED_SYSTEMS": "true",
        "INTAKE_VENDOR_POSTS_PER_MINUTE": "0",  # one vendor drives the whole load
        "INTAKE_LOG_LEVEL": "WARNING",
    }
    service = ServiceProcess("request_intake", port, env, profile.var / "logs" / "bench-intake.log")

    async def body() -> tuple[Figures, Figures]:
        guard.enter("starting Kafka and Redis")
        guard.registry.track_layout(layout)  # their pid files are read whenever it stops
        await in_thread(infra.start_all, layout)
        # One provider token for the run (it lives 120 s; a run of the default size takes seconds).
        token = await in_thread(tokens.get, "314000110", SCOPES)
        guard.enter("starting request_intake")
        service.start()
        await in_thread(service.wait_healthy)
        with Progress(console=console) as progress:
            guard.enter("intake POST -> event", lambda: str(live))
            ours = await _intake_run(
                service.url, layout.kafka_bootstrap, token, requests, concurrency, progress, live
            )
            guard.enter("raw aiokafka produce -> consume", lambda: str(live))
            raw = await _raw_run(layout.kafka_bootstrap, requests, concurrency, progress, live)
        return ours, raw

    async def main() -> tuple[Figures, Figures]:
        console.print(f"bench intake: deadline {limit:.0f}s, data in {layout.data_dir}", highlight=False)
        with guard.signals(), guard.registry.running():
            result: tuple[Figures, Figures] | None = None
            try:
                result = await guard.run(body)
                if guard.ended_by:
                    console.print(
                        f"[red]{guard.ending()}[/red] after {guard.elapsed:.0f}s while waiting on: "
                        f"{guard.waiting_on()}. An unfinished benchmark appends nothing to its report.",
                        highlight=False,
                    )
            finally:
                guard.cleaning()
                guard.enter("stopping every process of the run")

                def stop() -> None:
                    service.stop()
                    infra.stop_all(layout)

                await in_thread(guard.registry.stop_all if guard.ended_by else stop)
        if guard.ended_by or result is None:
            raise RunEnded(guard.ending(), guard.exit_code)
        return result

    try:
        ours, raw = asyncio.run(main())
    except RunEnded as ended:
        return ended.exit_code
    ratio = ours.rate / raw.rate if raw.rate else 0.0
    table = Table(title=f"Intake benchmark: {requests} requests, concurrency {concurrency}")
    for column in ("path", "completed", "per second", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column)
    for fig in (ours, raw):
        table.add_row(
            fig.name,
            str(fig.count),
            f"{fig.rate:.0f}",
            f"{fig.pct(0.5):.1f}",
            f"{fig.pct(0.95):.1f}",
            f"{fig.pct(0.99):.1f}",
            f"{max(fig.latencies_ms, default=0):.1f}",
        )
    console.print(table)
    console.print(f"intake / raw throughput ratio: [bold]{ratio:.2f}[/bold]")
    if report is not None:
        _append_report(report, requests, concurrency, ours, raw, ratio)
        console.print(f"appended to {report}")
    return 0


def _append_report(
    report: Path, requests: int, concurrency: int, ours: Figures, raw: Figures, ratio: float
) -> None:
    lines = [
        f"\n### Intake, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"Command: `sysaccess bench intake --requests {requests} --concurrency {concurrency}"
        f" --report {report}`  ",
        f"Machine: {_machine()}; broker, Redis, intake and load generator on the same machine.\n",
        "| path | completed | per second | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for fig in (ours, raw):
        lines.append(
            f"| {fig.name} | {fig.count} | {fig.rate:.0f} | {fig.pct(0.5):.1f} | {fig.pct(0.95):.1f} | "
            f"{fig.pct(0.99):.1f} | {max(fig.latencies_ms, default=0):.1f} |"
        )
    lines.append(
        f"\nIntake / raw throughput ratio: **{ratio:.2f}** (median latency ratio "
        f"{statistics.median(ours.latencies_ms) / statistics.median(raw.latencies_ms):.1f}x).\n"
    )
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")

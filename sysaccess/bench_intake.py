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
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import uvloop
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
from sysaccess.http_lite import LiteClient
from sysaccess.kafka_logins import admin_login, admin_options
from sysaccess.percentiles import percentile
from sysaccess.processes import ServiceProcess
from sysaccess.profiles import Profile
from sysaccess.vendor_tokens import VendorTokens

REQUESTS_PATH = "/authentication/api/v1/systemuser/request/vendor"
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
    cpu_ms_per_request: float | None = None  # of the server process, during its run

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


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


def _body(run_id: str, i: int) -> dict[str, object]:
    return {
        "systemId": "314000110_smartcloud",
        "partyOrgNo": "310614289",
        "externalRef": f"bench-{run_id}-{i}",
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattnaering"}],
        "redirectUrl": "https://smartcloud.example/receipt",
    }


async def _post_all(
    url: str,
    token: str,
    requests: int,
    concurrency: int,
    progress: Progress,
    name: str,
    started: dict[str, float],
    live: Live | None,
) -> Figures:
    """Closed loop: ``concurrency`` workers, each POSTing its next body when the last one answered
    (keep-alive connections, one per worker). The figures are of the HTTP answers."""
    task = progress.add_task(name, total=requests)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    run_id = uuid.uuid4().hex[:8]
    client = LiteClient(url, headers={"Authorization": f"Bearer {token}"}, max_connections=concurrency)
    answered: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            i = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                response = await client.post(REQUESTS_PATH, json_body=_body(run_id, i))
            except (ConnectionError, TimeoutError):
                response = None
            if response is not None and response.status_code == 201:
                answered.append((time.perf_counter() - t0) * 1000)
                started[response.json()["id"]] = t0
            else:
                errors += 1
                if live is not None:
                    live.errors = errors
            progress.advance(task)

    begin = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await client.aclose()
    seconds = time.perf_counter() - begin
    if errors:
        progress.console.print(f"[yellow]{name}: {errors} requests not answered 201[/yellow]")
    return Figures(name, len(answered), seconds, answered)


async def _intake_run(
    url: str,
    bootstrap: str,
    token: str,
    requests: int,
    concurrency: int,
    progress: Progress,
    live: Live | None = None,
) -> tuple[Figures, Figures]:
    """The intake's HTTP answers, and the same requests until their event is seen on Kafka."""
    watcher = _Watcher(bootstrap, ACCESS_REQUESTED.name, "requestId")
    await watcher.start()
    started: dict[str, float] = {}
    if live is not None:
        live.name, live.total, live.started, live.watcher, live.errors = (
            "intake POST -> event",
            requests,
            started,
            watcher,
            0,
        )
    begin = time.perf_counter()
    http = await _post_all(
        url, token, requests, concurrency, progress, "request_intake: POST -> 201", started, live
    )
    await watcher.wait_for(set(started), timeout=60)
    end = max((watcher.seen[i] for i in started if i in watcher.seen), default=time.perf_counter())
    await watcher.stop()
    latencies = [(watcher.seen[i] - t0) * 1000 for i, t0 in started.items() if i in watcher.seen]
    lost = len(started) - len(latencies)
    if lost:
        progress.console.print(f"[yellow]intake: {lost} events not seen[/yellow]")
    events = Figures("request_intake: POST -> event on Kafka", len(latencies), end - begin, latencies)
    return http, events


async def _bare_run(
    url: str, token: str, requests: int, concurrency: int, progress: Progress, live: Live | None = None
) -> Figures:
    started: dict[str, float] = {}
    if live is not None:
        live.name, live.total, live.started, live.watcher, live.errors = (
            "bare FastAPI + Redis",
            requests,
            started,
            None,
            0,
        )
    return await _post_all(
        url, token, requests, concurrency, progress, "bare FastAPI + Redis: POST -> 201", started, live
    )


async def _raw_run(
    bootstrap: str, count: int, concurrency: int, progress: Progress, live: Live | None = None
) -> Figures:
    """Bare aiokafka: produce the same event payload and see it consumed, same concurrency."""
    topic = "sysaccess.bench-raw.v1"
    from shared.events import RequestWithdrawn
    from shared.topics import Topic

    # The broker runs with ACLs: the baseline uses the admin login, as the flows benchmark does.
    login = admin_login(bootstrap)
    await ensure_topics(bootstrap, [Topic(topic, RequestWithdrawn, "request_id")], credentials=login)
    watcher = _Watcher(bootstrap, topic, "requestId")
    await watcher.start()
    producer = create_producer(bootstrap, "bench-raw", credentials=login)
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


def default_deadline(requests: int, rounds: int = 1) -> float:
    """Start-up, every run with its 60-second wait for the last records, and a margin."""
    return 300.0 + 60.0 * rounds + requests * 0.05 * (2 * rounds + 1)


def run_intake_benchmark(
    profile: Profile,
    *,
    requests: int,
    concurrency: int,
    report: Path | None,
    console: Console,
    deadline: float | None = None,
    rounds: int = 1,
) -> int:
    """Run, print and return the exit status (0, or 124 / 130 / 143 for a deadline or a signal)."""
    # Its own broker and Redis, so a benchmark never shares a data folder with `make test`.
    layout = infra.layout_on_free_ports(profile.var / "bench-intake", fresh=True)
    limit = default_deadline(requests, rounds) if deadline is None else deadline
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
    bare_port = infra.free_port()
    bare = ServiceProcess(
        "bench_bare",
        bare_port,
        {**env, "INTAKE_PORT": str(bare_port)},
        profile.var / "logs" / "bench-bare.log",
        module="sysaccess.bench_bare",
        health_path="/livez",
    )
    rows: list[Figures] = []
    ratios: list[float] = []
    cpu_ratios: list[float] = []

    async def body() -> tuple[list[Figures], list[float]]:
        guard.enter("starting Kafka and Redis")
        guard.registry.track_layout(layout)  # their pid files are read whenever it stops
        await in_thread(infra.start_all, layout)
        # One provider token for the run (it lives 120 s; a run of the default size takes seconds).
        token = await in_thread(tokens.get, "314000110", SCOPES)
        guard.enter("starting request_intake and the bare baseline")
        service.start()
        bare.start()
        await in_thread(service.wait_healthy)
        await in_thread(bare.wait_healthy)
        with Progress(console=console) as progress:
            for _ in range(rounds):
                guard.enter("intake POST -> event", lambda: str(live))
                before = _cpu_seconds(service)
                http, events = await _intake_run(
                    service.url, layout.kafka_bootstrap, token, requests, concurrency, progress, live
                )
                http.cpu_ms_per_request = (_cpu_seconds(service) - before) * 1000 / max(http.count, 1)
                guard.enter("bare FastAPI + Redis", lambda: str(live))
                before = _cpu_seconds(bare)
                baseline = await _bare_run(bare.url, token, requests, concurrency, progress, live)
                baseline.cpu_ms_per_request = (_cpu_seconds(bare) - before) * 1000 / max(baseline.count, 1)
                rows.extend((http, events, baseline))
                ratios.append(http.rate / baseline.rate if baseline.rate else 0.0)
                cpu_ratios.append(baseline.cpu_ms_per_request / max(http.cpu_ms_per_request, 1e-9))
            guard.enter("raw aiokafka produce -> consume", lambda: str(live))
            rows.append(await _raw_run(layout.kafka_bootstrap, requests, concurrency, progress, live))
        return rows, ratios

    async def main() -> tuple[list[Figures], list[float]]:
        console.print(f"bench intake: deadline {limit:.0f}s, data in {layout.data_dir}", highlight=False)
        with guard.signals(), guard.registry.running():
            result: tuple[list[Figures], list[float]] | None = None
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
                    bare.stop()
                    infra.stop_all(layout)

                await in_thread(guard.registry.stop_all if guard.ended_by else stop)
        if guard.ended_by or result is None:
            raise RunEnded(guard.ending(), guard.exit_code)
        return result

    load_before = os.getloadavg()
    try:
        figures, ratios = uvloop.run(main())
    except RunEnded as ended:
        return ended.exit_code
    load_after = os.getloadavg()
    table = Table(
        title=f"Intake benchmark: {requests} requests, concurrency {concurrency}, {rounds} round(s)"
    )
    for column in (
        "path",
        "completed",
        "per second",
        "server CPU ms/request",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
    ):
        table.add_column(column)
    for fig in figures:
        table.add_row(
            fig.name,
            str(fig.count),
            f"{fig.rate:.0f}",
            _cpu_cell(fig),
            f"{fig.pct(0.5):.1f}",
            f"{fig.pct(0.95):.1f}",
            f"{fig.pct(0.99):.1f}",
            f"{max(fig.latencies_ms, default=0):.1f}",
        )
    console.print(table)
    summary = _summary(ratios, cpu_ratios, load_before, load_after)
    console.print(summary)
    if report is not None:
        _append_report(report, requests, concurrency, rounds, figures, summary)
        console.print(f"appended to {report}")
    return 0


def _cpu_seconds(process: ServiceProcess) -> float:
    if process.proc is None:
        return 0.0
    try:
        times = psutil.Process(process.proc.pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def _cpu_cell(fig: Figures) -> str:
    return "" if fig.cpu_ms_per_request is None else f"{fig.cpu_ms_per_request:.2f}"


def _summary(
    ratios: list[float],
    cpu_ratios: list[float],
    load_before: tuple[float, ...],
    load_after: tuple[float, ...],
) -> str:
    shown = ", ".join(f"{r:.2f}" for r in ratios)
    cpu_shown = ", ".join(f"{r:.2f}" for r in cpu_ratios)
    return (
        f"Intake / bare FastAPI + Redis, same concurrency, same run: HTTP answers per second "
        f"**{min(ratios):.2f}–{max(ratios):.2f}** (rounds: {shown}); server CPU per request, bare / intake, "
        f"**{min(cpu_ratios):.2f}–{max(cpu_ratios):.2f}** (rounds: {cpu_shown}; the throughput ratio moves "
        "with the machine's other load, the CPU ratio much less). Load average (1/5/15 min) before "
        f"{'/'.join(f'{x:.2f}' for x in load_before)}, after {'/'.join(f'{x:.2f}' for x in load_after)}."
    )


def _append_report(
    report: Path, requests: int, concurrency: int, rounds: int, figures: list[Figures], summary: str
) -> None:
    lines = [
        f"\n### Intake, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"Command: `sysaccess bench intake --requests {requests} --concurrency {concurrency}"
        f" --rounds {rounds} --report {report}`  ",
        f"Machine: {_machine()}; broker, Redis, intake and load generator on the same machine.\n",
        "| path | completed | per second | server CPU ms/request | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for fig in figures:
        lines.append(
            f"| {fig.name} | {fig.count} | {fig.rate:.0f} | {_cpu_cell(fig)} | {fig.pct(0.5):.1f} | "
            f"{fig.pct(0.95):.1f} | {fig.pct(0.99):.1f} | {max(fig.latencies_ms, default=0):.1f} |"
        )
    lines.append(f"\n{summary}\n")
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")

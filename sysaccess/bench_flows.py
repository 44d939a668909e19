"""End-to-end benchmark: open-loop full flows (90% approve, 5% reject, 5% escalate).

Latency runs from the vendor's POST to the outcome event on Kafka. The same run measures a
raw baseline: the same Kafka hops with bare aiokafka (produce; consume a batch, produce it,
commit the batch; consume), ramped to its own capacity (the rate doubles from the system's best
until p99 passes 500 ms), so both capacities and their ratio are printed.

With ``instances`` > 1 every service runs that many times; the consumer groups share the
partitions and the load generator spreads the flows' HTTP calls over the instances.

The run has an overall deadline; at the deadline, or on SIGINT/SIGTERM, it prints what the step
under way has counted and what it was waiting on, and stops every process it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shared import topics
from shared.events import EXAMPLES, RequestWithdrawn
from shared.kafka import PRODUCER_CONFIG, ensure_topics
from shared.topics import Topic
from sysaccess.deadline import RunEnded, RunGuard, in_thread
from sysaccess.flows import FlowDriver
from sysaccess.infra import PROJECT_ROOT
from sysaccess.kafka_logins import admin_login, admin_options
from sysaccess.percentiles import percentile
from sysaccess.pyspy import Profiler, summarize
from sysaccess.stack import LocalStack

OUTCOME_TOPICS = (topics.ACCESS_CREATED.name, topics.REQUEST_REJECTED.name, topics.REQUEST_ESCALATED.name)
P99_TARGET_MS = 500.0
# The raw baseline's ramp stops here even when it still keeps up.
MAX_RAW_RATE = 25_600.0
RAW_STEP_SECONDS = 5.0


@dataclass
class Step:
    name: str
    offered_rate: float
    duration: float
    started: int = 0
    completed: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    lost: int = 0  # accepted flows whose outcome never arrived
    duplicated: int = 0  # a second outcome for a request (another event id)
    redelivered: int = 0  # the same outcome event again (at-least-once; receivers drop it)
    cpu_per_1000: dict[str, float] = field(default_factory=dict)
    http_calls: tuple[int, int] = (0, 0)  # vendor POSTs and portal decision calls made by the step
    redis_calls: dict[str, int] = field(default_factory=dict)  # Redis commands during the step, by name
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    # Mean time from a record's production to its handling, per (service, topic), in ms.
    hop_delays_ms: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    # While the step runs (for a deadline report): ids sent so far and the watcher seeing them.
    sent: dict[str, float] = field(default_factory=dict, repr=False)
    watcher: OutcomeWatcher | None = field(default=None, repr=False)

    def live(self) -> str:
        """Counts of a step under way: lost (errors), duplicated, still pending."""
        seen = self.watcher.seen if self.watcher is not None else {}
        arrived = sum(1 for r in self.sent if r in seen)
        duplicated = self.watcher.duplicates if self.watcher is not None else 0
        pending = self.started - arrived - self.errors
        return (
            f"{self.name} at {self.offered_rate:.0f}/s: {self.started} started, {arrived} outcomes seen, "
            f"lost {self.errors}, duplicated {duplicated}, still pending {pending}"
        )

    @property
    def rate(self) -> float:
        return self.completed / self.wall_seconds if self.wall_seconds else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def healthy(self) -> bool:
        return (
            self.errors == 0
            and self.completed == self.started
            and self.duplicated == 0
            and self.pct(0.99) < P99_TARGET_MS
        )


class OutcomeWatcher:
    def __init__(self, bootstrap: str, topic_names: tuple[str, ...], id_field: str = "requestId") -> None:
        self.seen: dict[str, float] = {}
        self.event_ids: dict[str, str | None] = {}
        self.duplicates = 0
        self.redelivered = 0
        self.consumer = AIOKafkaConsumer(
            *topic_names,
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            group_id=f"bench-{uuid.uuid4().hex[:8]}",
            enable_auto_commit=False,
            **admin_options(bootstrap),
        )
        self.id_field = id_field
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        while not self.consumer.assignment():
            await asyncio.sleep(0.05)
        for tp in self.consumer.assignment():
            await self.consumer.position(tp)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=50)
            now = time.perf_counter()
            for msgs in batch.values():
                for msg in msgs:
                    try:
                        record = json.loads(msg.value)
                        key = str(record[self.id_field])
                    except (ValueError, KeyError, TypeError):
                        continue
                    self.saw(key, record.get("eventId") if isinstance(record, dict) else None, now)

    def saw(self, key: str, event_id: str | None, now: float) -> None:
        """Count an outcome for ``key``: the first, the same event again, or a second outcome."""
        if key not in self.seen:
            self.seen[key] = now
            self.event_ids[key] = event_id
        elif event_id is not None and event_id == self.event_ids[key]:
            # The relay publishes at least once; every receiver drops a repeat by its event id.
            self.redelivered += 1
        else:
            self.duplicates += 1

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.consumer.stop()


DELAY_SAMPLE = re.compile(r'^sysaccess_consume_delay_seconds_(sum|count)\{topic="([^"]+)"\} (\S+)$', re.M)


async def consume_delays(stack: LocalStack) -> dict[tuple[str, str], tuple[float, float]]:
    """Per (service instance, topic): the services' consume-delay histogram's (sum, count) so far."""
    found: dict[tuple[str, str], tuple[float, float]] = {}
    async with httpx.AsyncClient(timeout=5) as client:
        for name, process in stack.processes.items():
            if name == "smtp":
                continue
            try:
                text = (await client.get(f"{process.url}/metrics")).text
            except httpx.HTTPError:
                continue
            sums: dict[str, float] = {}
            counts: dict[str, float] = {}
            for kind, topic, value in DELAY_SAMPLE.findall(text):
                (sums if kind == "sum" else counts)[topic] = float(value)
            for topic, count in counts.items():
                found[(name, topic)] = (sums.get(topic, 0.0), count)
    return found


def delay_between(
    before: dict[tuple[str, str], tuple[float, float]], after: dict[tuple[str, str], tuple[float, float]]
) -> dict[tuple[str, str], tuple[float, int]]:
    """Mean delay (ms) and records per (service, topic) between two snapshots."""
    means: dict[tuple[str, str], tuple[float, int]] = {}
    for key, (total, count) in after.items():
        old_total, old_count = before.get(key, (0.0, 0.0))
        if count > old_count:
            means[key] = ((total - old_total) * 1000 / (count - old_count), int(count - old_count))
    return means


class Usage:
    """CPU seconds and peak memory of the processes under test, and of this load generator."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs: dict[str, psutil.Process] = {}
        for name, pid in {**pids, "load generator": os.getpid()}.items():
            try:
                self.procs[name] = psutil.Process(pid)
            except psutil.Error:
                continue
        self.start = self._cpu()
        self.peak: dict[str, float] = dict.fromkeys(self.procs, 0.0)

    def _cpu(self) -> dict[str, float]:
        found = {}
        for name, proc in self.procs.items():
            try:
                times = proc.cpu_times()
                found[name] = times.user + times.system
            except psutil.Error:
                found[name] = 0.0
        return found

    def sample(self) -> None:
        for name, proc in self.procs.items():
            try:
                self.peak[name] = max(self.peak[name], proc.memory_info().rss / 1e6)
            except psutil.Error:
                continue

    def finish(self, step: Step) -> None:
        end = self._cpu()
        flows = max(step.completed, 1)
        # CPU seconds per 1,000 flows = CPU milliseconds per flow.
        step.cpu_per_1000 = {n: (end[n] - self.start.get(n, 0.0)) * 1000 / flows for n in end}
        step.peak_rss_mb = dict(self.peak)


async def _settle(
    step: Step, started: dict[str, float], watcher: OutcomeWatcher, begin: float, usage: Usage
) -> None:
    """Wait (up to 30 s) for every started id to show up, then record latencies and throughput."""
    deadline = time.perf_counter() + 30
    while not set(started) <= watcher.seen.keys() and time.perf_counter() < deadline:
        usage.sample()
        await asyncio.sleep(0.05)
    await watcher.stop()
    done = {r: watcher.seen[r] for r in started if r in watcher.seen}
    step.completed = len(done)
    step.lost = len(started) - len(done)
    step.duplicated = watcher.duplicates
    step.redelivered = watcher.redelivered
    step.latencies_ms = [(seen - started[r]) * 1000 for r, seen in done.items()]
    step.wall_seconds = (max(done.values()) - begin) if done else step.duration
    usage.finish(step)


async def _flows_step(
    stack: LocalStack,
    driver: FlowDriver,
    rate: float,
    duration: float,
    progress: Progress,
    live: list[Step],
) -> Step:
    step = Step("sysaccess flows", rate, duration)
    live.append(step)
    watcher = OutcomeWatcher(stack.layout.kafka_bootstrap, OUTCOME_TOPICS)
    step.watcher = watcher
    await watcher.start()
    usage = Usage(stack.pids())
    total = int(rate * duration)
    bar = progress.add_task(f"flows at {rate:.0f}/s", total=total)
    posted = step.sent
    tasks: list[asyncio.Task[None]] = []

    first_index = driver.issued
    driver.issued += total
    calls_before = (driver.posts, driver.decisions)
    delays_before = await consume_delays(stack)
    redis_before = await redis_commands(stack.layout.admin_redis_url)

    async def flow(index: int) -> None:
        result = await driver.run(first_index + index)
        if result.request_id and not result.error:
            posted[result.request_id] = result.posted_t0
        else:
            step.errors += 1
        progress.advance(bar)

    begin = time.perf_counter()
    for index in range(total):
        delay = begin + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(flow(index)))
        step.started += 1
        if index % 50 == 0:
            usage.sample()
    await asyncio.gather(*tasks)
    step.http_calls = (driver.posts - calls_before[0], driver.decisions - calls_before[1])
    await _settle(step, posted, watcher, begin, usage)
    step.hop_delays_ms = delay_between(delays_before, await consume_delays(stack))
    redis_after = await redis_commands(stack.layout.admin_redis_url)
    step.redis_calls = {
        n: c - redis_before.get(n, 0) for n, c in redis_after.items() if c > redis_before.get(n, 0)
    }
    return step


async def redis_commands(url: str) -> dict[str, int]:
    """Commands Redis has run since it started, by name (``INFO commandstats``; every client)."""
    client = Redis.from_url(url)
    try:
        stats: dict[str, Any] = await client.info("commandstats")
    finally:
        await client.aclose()
    return {name.removeprefix("cmdstat_"): int(fields["calls"]) for name, fields in stats.items()}


@dataclass
class RawHops:
    """Bare aiokafka over two hops: produce to ``first``; a relay consumes a batch, produces it to
    ``second`` and commits the batch; a watcher consumes ``second``."""

    bootstrap: str
    first: str = ""
    second: str = ""
    clients: list[AIOKafkaProducer | AIOKafkaConsumer] = field(default_factory=list)
    relay_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        suffix = uuid.uuid4().hex[:6]
        self.first, self.second = f"bench-raw-a-{suffix}", f"bench-raw-b-{suffix}"
        await ensure_topics(
            self.bootstrap,
            [
                Topic(self.first, RequestWithdrawn, "request_id"),
                Topic(self.second, RequestWithdrawn, "request_id"),
            ],
            credentials=admin_login(self.bootstrap),
        )
        login = admin_options(self.bootstrap)
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, **PRODUCER_CONFIG, **login)
        relay_producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, **PRODUCER_CONFIG, **login)
        relay = AIOKafkaConsumer(
            self.first,
            bootstrap_servers=self.bootstrap,
            group_id=f"raw-{suffix}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=500,
            **login,
        )
        self.clients = [self.producer, relay_producer, relay]
        for client in self.clients:
            await client.start()

        async def hop() -> None:
            while True:
                batch = await relay.getmany(timeout_ms=1000, max_records=500)
                if not batch:
                    continue
                sent = [
                    await relay_producer.send(self.second, m.value, key=m.key)
                    for records in batch.values()
                    for m in records
                ]
                await asyncio.gather(*sent)
                await relay.commit()

        self.relay_task = asyncio.create_task(hop())

    async def stop(self) -> None:
        if self.relay_task is not None:
            self.relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.relay_task
        for client in self.clients:
            await client.stop()


async def _raw_step(
    hops: RawHops, rate: float, duration: float, progress: Progress, live: list[Step]
) -> Step:
    """One open-loop step of the raw baseline at ``rate`` records/s."""
    step = Step("raw aiokafka (2 hops)", rate, duration)
    live.append(step)
    watcher = OutcomeWatcher(hops.bootstrap, (hops.second,))
    step.watcher = watcher
    await watcher.start()
    usage = Usage({})
    template = dict(EXAMPLES["SystemAccessRequested"])
    total = int(rate * duration)
    bar = progress.add_task(f"raw at {rate:.0f}/s", total=total)
    sent = step.sent

    async def send(request_id: str) -> None:
        sent[request_id] = time.perf_counter()
        payload = json.dumps({**template, "requestId": request_id, "eventId": str(uuid.uuid4())}).encode()
        try:
            await hops.producer.send_and_wait(hops.first, payload, key=request_id.encode())
        except Exception:
            step.errors += 1
        progress.advance(bar)

    begin = time.perf_counter()
    tasks = []
    for index in range(total):
        delay = begin + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(str(uuid.uuid4()))))
        step.started += 1
    await asyncio.gather(*tasks)
    await _settle(step, sent, watcher, begin, usage)
    return step


async def _raw_ramp(
    bootstrap: str, first_rate: float, duration: float, progress: Progress, live: list[Step]
) -> list[Step]:
    """The raw baseline from ``first_rate``, doubling until a step fails (or MAX_RAW_RATE)."""
    hops = RawHops(bootstrap)
    await hops.start()
    steps: list[Step] = []
    try:
        rate = max(first_rate, 50.0)
        while rate <= MAX_RAW_RATE:
            step = await _raw_step(hops, rate, duration, progress, live)
            steps.append(step)
            if not step.healthy:
                break
            rate *= 2
    finally:
        await hops.stop()
    return steps


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}; Kafka, Redis, the three services and the load generator "
        "share the machine"
    )


def default_deadline(steps: int, duration: float) -> float:
    """Start-up, a warm-up, each step and the baseline's ramp, each with its settle time, and a margin."""
    return 180.0 + (steps + 1) * (duration + 90.0) + 10 * (RAW_STEP_SECONDS + 40.0)


async def run_benchmark(
    rates: list[float],
    duration: float,
    console: Console,
    *,
    deadline: float | None = None,
    handle_signals: bool = False,
    instances: int = 1,
    raw_baseline: bool = True,
    infra_auth: bool = True,
    profiler: Profiler | None = None,
) -> tuple[list[Step], list[Step]]:
    """The steps and the baseline. Raises ``RunEnded`` (after reporting and stopping every process)
    when the deadline or a signal ended the run."""
    stack = LocalStack(
        PROJECT_ROOT / "var" / "bench" / f"flows-{os.getpid()}", instances=instances, infra_auth=infra_auth
    )
    limit = default_deadline(len(rates), duration) if deadline is None else deadline
    guard = RunGuard("bench-flows", stack.folder, limit, console, announce=True)
    live: list[Step] = []

    def under_way() -> str:
        return live[-1].live() if live else ""

    async def body() -> tuple[list[Step], list[Step]]:
        guard.enter("starting Kafka, Redis and the services")
        guard.registry.track_layout(stack.layout)  # their pid files are read whenever it stops
        await in_thread(stack.start)
        guard.enter("logging in to the portal")
        driver = FlowDriver(stack, "314000110_smartcloud", uuid.uuid4().hex[:8], deadline_seconds=60)
        await driver.open()
        try:
            steps: list[Step] = []
            with Progress(console=console) as progress:
                guard.enter("warm-up flows", under_way)
                await _flows_step(stack, driver, min(rates[0], 20), 3, progress, live)  # not reported
                if profiler is not None:
                    services = {
                        n: pid for n, pid in stack.pids().items() if n not in ("kafka", "redis", "smtp")
                    }
                    profiler.start({**services, "load generator": os.getpid()})
                for rate in rates:
                    guard.enter(f"flows at {rate:.0f}/s", under_way)
                    step = await _flows_step(stack, driver, rate, duration, progress, live)
                    steps.append(step)
                    if not step.healthy and len(rates) > 1:
                        break
                if profiler is not None:
                    await in_thread(profiler.stop)
                guard.enter("raw aiokafka baseline, ramped to its capacity", under_way)
                healthy = [s.offered_rate for s in steps if s.healthy]
                raw = []
                if raw_baseline:
                    raw = await _raw_ramp(
                        stack.layout.kafka_bootstrap,
                        max(healthy, default=steps[0].offered_rate),
                        RAW_STEP_SECONDS,
                        progress,
                        live,
                    )
        finally:
            await driver.close()
        return steps, raw

    console.print(f"bench flows: deadline {limit:.0f}s, run folder {stack.folder}", highlight=False)
    with guard.signals() if handle_signals else contextlib.nullcontext(), guard.registry.running():
        result: tuple[list[Step], list[Step]] | None = None
        try:
            result = await guard.run(body)
            if guard.ended_by:
                finished = [s for s in live[1:] if s.wall_seconds]  # live[0] is the warm-up
                console.print(
                    f"[red]{guard.ending()}[/red] after {guard.elapsed:.0f}s while waiting on: "
                    f"{guard.waiting_on()}. {len(finished)} step(s) had finished; an unfinished "
                    "benchmark appends nothing to its report.",
                    highlight=False,
                )
        finally:
            guard.cleaning()
            guard.enter("stopping every process of the run")
            await in_thread(guard.registry.stop_all if guard.ended_by else stack.stop)
    if guard.ended_by or result is None:
        raise RunEnded(guard.ending(), guard.exit_code)
    return result


def capacity(steps: list[Step]) -> Step | None:
    """The highest offered step with p99 under the target and no errors."""
    healthy = [s for s in steps if s.healthy]
    return max(healthy, key=lambda s: s.offered_rate) if healthy else None


def profile_report(folder: Path, console: Console) -> str:
    """Each process's sampled CPU by library, from the py-spy files of the measured steps."""
    lines = [
        f"Where the CPU went during the measured steps (py-spy, active samples by library; raw "
        f"stacks in `{folder}`):",
        "",
        "| process | samples | largest shares |",
        "|---|---|---|",
    ]
    table = Table(title="py-spy: active samples by library")
    for column in ("process", "samples", "largest shares"):
        table.add_column(column)
    for log_file in sorted(folder.glob("*.log")):
        if not log_file.with_suffix(".txt").exists():
            reason = log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            table.add_row(log_file.stem, "0", f"no profile: {reason[0]}")
            lines.append(f"| {log_file.stem} | 0 | no profile: {reason[0]} |")
    for raw_file in sorted(folder.glob("*.txt")):
        total, shares = summarize(raw_file)
        top = ", ".join(f"{name} {share:.0%}" for name, share in shares[:7])
        table.add_row(raw_file.stem, str(total), top)
        lines.append(f"| {raw_file.stem} | {total} | {top} |")
    console.print(table)
    return "\n".join(lines)


def report(steps: list[Step], raw: list[Step], console: Console) -> str:
    table = Table(title="End-to-end flows (vendor POST -> outcome event)")
    columns = (
        "path",
        "offered/s",
        "completed/s",
        "errors",
        "lost",
        "dup",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
    )
    for column in columns:
        table.add_column(column)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for step in [*steps, *raw]:
        cells = [
            step.name,
            f"{step.offered_rate:.0f}",
            f"{step.rate:.0f}",
            str(step.errors),
            str(step.lost),
            str(step.duplicated),
            f"{step.pct(0.5):.0f}",
            f"{step.pct(0.95):.0f}",
            f"{step.pct(0.99):.0f}",
            f"{max(step.latencies_ms, default=0):.0f}",
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    if redelivered := sum(step.redelivered for step in steps):
        note = (
            f"Outcome events delivered again with the same event id: {redelivered} (at-least-once "
            "publishing; receivers drop them by id, so they are not counted as duplicates)."
        )
        console.print(note)
        lines += ["", note]
    best_step = capacity(steps)
    measured = best_step or steps[-1]
    usage = Table(title=f"Resources at {measured.offered_rate:.0f}/s")
    usage.add_column("process")
    usage.add_column("CPU ms / flow")
    usage.add_column("peak RSS MB")
    lines += [
        "",
        f"Resources at {measured.offered_rate:.0f} flows/s (the highest step that kept up):",
        "",
        "| process | CPU ms per flow | peak RSS MB |",
        "|---|---|---|",
    ]
    system = 0.0
    for name, cpu in sorted(measured.cpu_per_1000.items()):
        rss = measured.peak_rss_mb.get(name, 0.0)
        usage.add_row(name, f"{cpu:.2f}", f"{rss:.0f}")
        lines.append(f"| {name} | {cpu:.2f} | {rss:.0f} |")
        if name not in ("load generator", "smtp"):
            system += cpu
    usage.add_row("system (broker, Redis, services)", f"{system:.2f}", "")
    lines.append(f"| system (broker, Redis, services) | {system:.2f} | |")
    console.print(usage)
    flows = max(measured.started, 1)
    posts, decisions = (calls / flows for calls in measured.http_calls)
    calls = (
        f"HTTP calls per flow at {measured.offered_rate:.0f}/s: {posts:.2f} vendor POSTs, "
        f"{decisions:.2f} portal decision calls (asked again after a 404 while the portal does not "
        "have the request yet)."
    )
    console.print(calls)
    lines += ["", calls]
    if measured.redis_calls:
        by_command = sorted(measured.redis_calls.items(), key=lambda item: -item[1])
        redis_line = (
            f"Redis commands per flow at {measured.offered_rate:.0f}/s (every client, background loops "
            f"included): {sum(measured.redis_calls.values()) / flows:.1f} in all; "
            + ", ".join(f"{name} {count / flows:.1f}" for name, count in by_command[:12])
            + "."
        )
        console.print(redis_line)
        lines += ["", redis_line]
    if measured.hop_delays_ms:
        hops = Table(title=f"Kafka hops at {measured.offered_rate:.0f}/s: produced -> handled")
        for column in ("service", "topic", "records", "mean ms"):
            hops.add_column(column)
        lines += ["", "| service | topic | records | mean ms, produced -> handled |", "|---|---|---|---|"]
        for (service, topic), (mean, count) in sorted(measured.hop_delays_ms.items()):
            hops.add_row(service, topic, str(count), f"{mean:.0f}")
            lines.append(f"| {service} | {topic} | {count} | {mean:.0f} |")
        console.print(hops)
    raw_best = capacity(raw)
    ours = best_step.offered_rate if best_step else 0.0
    theirs = raw_best.offered_rate if raw_best else 0.0
    raw_limit = (
        f"{theirs:.0f} records/s" + (" (the ramp's ceiling; it kept up)" if raw and raw[-1].healthy else "")
        if raw_best
        else "none"
    )
    ratio = ours / theirs if theirs else 0.0
    summary = (
        f"Capacity (highest offered rate with p99 < {P99_TARGET_MS:.0f} ms and no errors): "
        f"sysaccess **{ours:.0f} flows/s**; bare aiokafka over the same two hops, ramped on its own: "
        f"**{raw_limit}**. Ratio **{ratio:.3f}**."
    )
    console.print(summary)
    lines += ["", summary]
    return "\n".join(lines)


def plot(steps: list[Step], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = [s.offered_rate for s in steps]
    figure, axis = plt.subplots(figsize=(7, 4))
    for q, label in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        axis.plot(rates, [s.pct(q) for s in steps], marker="o", label=label)
    axis.axhline(P99_TARGET_MS, color="grey", linestyle="--", label="500 ms target")
    axis.set_xlabel("offered rate (flows/s)")
    axis.set_ylabel("latency, POST to outcome event (ms)")
    axis.set_yscale("log")
    axis.set_title("sysaccess end-to-end latency against offered rate")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run_flows_benchmark(
    rate: float,
    duration: float,
    ramp: bool,
    report_path: Path | None,
    console: Console,
    deadline: float | None = None,
    instances: int = 1,
    raw_baseline: bool = True,
    infra_auth: bool = True,
    profile_dir: Path | None = None,
) -> int:
    """Run, report and return the exit status (0, or 124 / 130 / 143 for a deadline or a signal)."""
    rates = [rate * f for f in (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)] if ramp else [rate]
    if profile_dir is not None and Profiler.binary() is None:
        console.print("[red]--pyspy needs py-spy: pip install '.[tools]'[/red]")
        return 2
    load_before = os.getloadavg()
    try:
        # uvloop: the load generator's own event loop costs less CPU per flow.
        steps, raw = uvloop.run(
            run_benchmark(
                rates,
                duration,
                console,
                deadline=deadline,
                handle_signals=True,
                instances=instances,
                raw_baseline=raw_baseline,
                infra_auth=infra_auth,
                profiler=Profiler(profile_dir) if profile_dir is not None else None,
            )
        )
    except RunEnded as ended:
        return ended.exit_code
    load_after = os.getloadavg()
    text = report(steps, raw, console)
    if profile_dir is not None:
        text += "\n\n" + profile_report(profile_dir, console)
    load = (
        f"Load average (1/5/15 min) before the run {'/'.join(f'{x:.2f}' for x in load_before)}, "
        f"after it {'/'.join(f'{x:.2f}' for x in load_after)}."
    )
    console.print(load)
    text += f"\n\n{load}"
    if report_path is not None:
        png = report_path.parent / "benchmark-flows.png"
        plot(steps, png)
        command = (
            f"sysaccess bench flows --rate {rate:g} --duration {duration:g}{' --ramp' if ramp else ''}"
            f"{f' --instances {instances}' if instances > 1 else ''}"
            f"{'' if infra_auth else ' --no-infra-auth'}"
            f"{f' --pyspy {profile_dir}' if profile_dir is not None else ''}"
        )
        with report_path.open("a", encoding="utf-8") as handle:
            handle.write(
                f"\n### Flows, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                f"Command: `{command} --report {report_path}`  \nMachine: {machine()}.\n\n"
                f"{text}\n\n![latency against offered rate]({png.name})\n"
            )
        console.print(f"appended to {report_path}; plot in {png}")
    return 0

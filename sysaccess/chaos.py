"""Fault runs: full flows through the real system while a fault is injected; count what was lost or doubled.

``sysaccess chaos SCENARIO --flows N`` prints a table; the pass bar is lost 0, duplicated 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import psutil
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shared import topics
from sysaccess import infra
from sysaccess.flows import FlowDriver, FlowResult
from sysaccess.infra import PROJECT_ROOT
from sysaccess.stack import LocalStack
from sysaccess.topic_reader import read_topic
from sysaccess.webhook_receiver import Receiver, webhook_receiver

SCENARIOS = ("kafka-kill", "service-kill", "redis-restart", "poison", "rebalance")
OUTCOME_TOPICS = {
    "approve": topics.ACCESS_CREATED.name,
    "reject": topics.REQUEST_REJECTED.name,
    "escalate": topics.REQUEST_ESCALATED.name,
}
CONSUMED_TOPICS = [t.name for t in topics.ALL_TOPICS if t is not topics.SYSTEM_DELETED]


@dataclass
class ChaosReport:
    scenario: str
    flows: int
    accepted: int = 0
    outcome_events: int = 0
    system_accesses: int = 0
    emails: int = 0
    webhooks: int = 0
    lost: int = 0
    duplicated: int = 0
    redelivered_same_id: int = 0
    dead_letters: int = 0
    recover_seconds: float = 0.0
    elapsed_seconds: float = 0.0
    idle_cpu_percent: float = 0.0
    faults: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("flows started", str(self.flows)),
            ("requests accepted", str(self.accepted)),
            ("outcome events", str(self.outcome_events)),
            ("system accesses", str(self.system_accesses)),
            ("e-mails", str(self.emails)),
            ("webhooks", str(self.webhooks)),
            ("lost", str(self.lost)),
            ("duplicated", str(self.duplicated)),
            ("redelivered with the same id (deduplicated by receivers)", str(self.redelivered_same_id)),
            ("dead letters", str(self.dead_letters)),
            ("time to recover (s)", f"{self.recover_seconds:.1f}"),
            ("run time (s)", f"{self.elapsed_seconds:.1f}"),
            ("CPU of services when idle after drain (%)", f"{self.idle_cpu_percent:.1f}"),
            ("faults", "; ".join(self.faults) or "-"),
        ]


class Fault:
    """Injects one scenario's fault while flows run; records when the system last lost something."""

    def __init__(self, stack: LocalStack, scenario: str) -> None:
        self.stack = stack
        self.scenario = scenario
        self.log: list[str] = []
        self.kills: list[float] = []
        self.running = True

    async def run(self, progress: Callable[[], float]) -> None:
        actions: dict[str, Callable[[Callable[[], float]], Awaitable[None]]] = {
            "kafka-kill": self._kafka_kill,
            "service-kill": self._service_kill,
            "redis-restart": self._redis_restart,
            "poison": self._poison,
            "rebalance": self._rebalance,
        }
        await actions[self.scenario](progress)

    async def _at(self, progress: Callable[[], float], fraction: float) -> None:
        while progress() < fraction and self.running:
            await asyncio.sleep(0.05)

    async def _kafka_kill(self, progress: Callable[[], float]) -> None:
        for fraction in (0.25, 0.6):
            await self._at(progress, fraction)
            self.kills.append(time.monotonic())
            infra.stop_kafka(self.stack.layout, force=True)
            self.log.append(f"kill -9 kafka at {fraction:.0%}")
            await asyncio.sleep(2.0)
            await asyncio.to_thread(infra.start_kafka, self.stack.layout)

    async def _service_kill(self, progress: Callable[[], float]) -> None:
        rng = random.Random(42)
        plan = sorted(
            (rng.uniform(0.1, 0.85), name) for name in ("request_intake", "approval", "notifier") * 2
        )
        for fraction, name in plan:
            await self._at(progress, fraction)
            process = self.stack.processes[name]
            self.kills.append(time.monotonic())
            process.kill()
            self.log.append(f"kill -9 {name} at {fraction:.0%}")
            await asyncio.sleep(0.5)
            process.start()
            await asyncio.to_thread(process.wait_healthy, 90)

    async def _redis_restart(self, progress: Callable[[], float]) -> None:
        await self._at(progress, 0.4)
        self.kills.append(time.monotonic())
        infra.stop_redis(self.stack.layout)
        self.log.append("restart redis (SIGTERM, AOF) at 40%")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(infra.start_redis, self.stack.layout)
        self.last_recovery = time.monotonic()

    async def _poison(self, progress: Callable[[], float]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.stack.layout.kafka_bootstrap, acks="all", max_request_size=2_000_000
        )
        await producer.start()
        try:
            for fraction in (0.2, 0.5, 0.8):
                await self._at(progress, fraction)
                for topic in CONSUMED_TOPICS:
                    await producer.send_and_wait(topic, b"\x00not json\xff", key=b"poison")
                    await producer.send_and_wait(topic, b'{"eventId": "not-a-uuid"}', key=b"poison")
                    oversized = json.dumps({"eventId": str(uuid.uuid4()), "padding": "x" * 900_000}).encode()
                    await producer.send_and_wait(topic, oversized, key=b"poison")
                self.log.append(f"3 poison messages on {len(CONSUMED_TOPICS)} topics at {fraction:.0%}")
        finally:
            await producer.stop()

    async def _rebalance(self, progress: Callable[[], float]) -> None:
        second = self.stack.processes["approval2"]
        for fraction in (0.15, 0.35, 0.55, 0.75):
            await self._at(progress, fraction)
            self.kills.append(time.monotonic())
            second.stop()
            self.log.append(f"stop approval2 at {fraction:.0%}")
            await asyncio.sleep(1.5)
            second.start()
            await asyncio.to_thread(second.wait_healthy, 90)
            self.log.append("start approval2")


def _count_mail(mail_dir: Path, escalated: set[str]) -> tuple[dict[str, int], int]:
    per_request: Counter[str] = Counter()
    for path in mail_dir.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        for request_id in escalated:
            if request_id in text:
                per_request[request_id] += 1
                break
    log = mail_dir / "received.log"
    lines = log.read_text().splitlines() if log.exists() else []
    repeated = len(lines) - len({line.split("\t")[0] for line in lines})
    return dict(per_request), repeated


async def _drain_and_count(
    stack: LocalStack, results: list[FlowResult], receiver: Receiver, report: ChaosReport, timeout: float
) -> None:
    bootstrap = stack.layout.kafka_bootstrap
    accepted = [r for r in results if r.request_id]
    escalated = {str(r.request_id) for r in accepted if r.decision == "escalate"}
    webhooked = {str(r.request_id) for r in accepted if r.decision in ("approve", "reject")}
    deadline = time.monotonic() + timeout
    while True:
        events: dict[str, dict[str, set[str]]] = {}
        for decision, topic in OUTCOME_TOPICS.items():
            per_request: dict[str, set[str]] = {}
            for record in await read_topic(bootstrap, topic):
                try:
                    data = json.loads(record.value)
                    per_request.setdefault(data["requestId"], set()).add(data["eventId"])
                except (ValueError, KeyError, TypeError):
                    continue
            events[decision] = per_request
        mails, repeated_mail = _count_mail(stack.mail_dir, escalated)
        hook_ids: Counter[str] = Counter()
        hook_requests: dict[str, set[str]] = {}
        for delivery in list(receiver.deliveries):
            delivery_id = delivery.headers.get("webhook-id", "")
            hook_ids[delivery_id] += 1
            try:
                request_id = json.loads(delivery.body)["data"]["requestId"]
            except (ValueError, KeyError):
                continue
            hook_requests.setdefault(request_id, set()).add(delivery_id)
        lost = duplicated = 0
        for result in accepted:
            request_id = str(result.request_id)
            found = events[result.decision].get(request_id, set())
            lost += not found
            duplicated += len(found) > 1
            if result.decision == "approve":
                # Only one outcome of any kind per request.
                duplicated += bool(events["reject"].get(request_id))
        lost += sum(max(0, 3 - mails.get(r, 0)) for r in escalated)
        lost += sum(1 for r in webhooked if not hook_requests.get(r))
        duplicated += sum(1 for r in webhooked if len(hook_requests.get(r, ())) > 1)
        report.accepted = len(accepted)
        report.outcome_events = sum(len(ids) for per in events.values() for ids in per.values())
        report.system_accesses = sum(1 for ids in events["approve"].values() if ids)
        report.emails = sum(mails.values())
        report.webhooks = len(hook_ids)
        report.lost, report.duplicated = lost, duplicated
        report.redelivered_same_id = repeated_mail + sum(n - 1 for n in hook_ids.values())
        if (lost == 0 and duplicated == 0) or time.monotonic() > deadline:
            break
        await asyncio.sleep(2.0)
    report.lost += len(results) - len(accepted)
    dead = 0
    for topic in [t.dead_letter for t in topics.ALL_TOPICS] + [topics.NOTIFICATIONS_DEAD_LETTER]:
        dead += len(await read_topic(bootstrap, topic))
    report.dead_letters = dead


def _idle_cpu(stack: LocalStack, seconds: float = 3.0) -> float:
    procs = []
    for name, pid in stack.pids().items():
        if name in ("kafka", "redis", "smtp"):
            continue
        try:
            proc = psutil.Process(pid)
            proc.cpu_percent(None)
            procs.append(proc)
        except psutil.Error:
            continue
    time.sleep(seconds)
    total = 0.0
    for proc in procs:
        try:
            total += proc.cpu_percent(None)
        except psutil.Error:
            continue
    return total


async def run_scenario(
    scenario: str,
    flows: int,
    *,
    concurrency: int = 24,
    console: Console | None = None,
    folder: Path | None = None,
) -> ChaosReport:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario}; choose one of {', '.join(SCENARIOS)}")
    console = console or Console()
    stack = LocalStack(
        folder or PROJECT_ROOT / "var" / "chaos" / f"{scenario}-{os.getpid()}",
        approval_instances=2 if scenario == "rebalance" else 1,
    )
    report = ChaosReport(scenario, flows)
    await asyncio.to_thread(stack.start)
    try:
        with webhook_receiver() as receiver:
            system_id = await stack.register_hook_system(receiver.url)
            await asyncio.sleep(1.0)
            driver = FlowDriver(stack, system_id, uuid.uuid4().hex[:8])
            await driver.open()
            fault = Fault(stack, scenario)
            started = 0
            semaphore = asyncio.Semaphore(concurrency)

            async def one(index: int) -> FlowResult:
                nonlocal started
                async with semaphore:
                    started += 1
                    return await driver.run(index)

            begin = time.monotonic()
            fault_task = asyncio.create_task(fault.run(lambda: started / flows))
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task(f"chaos {scenario}", total=flows)
                pending = [asyncio.create_task(one(i)) for i in range(flows)]
                results = []
                for finished in asyncio.as_completed(pending):
                    results.append(await finished)
                    bar.advance(task)
            fault.running = False
            await fault_task
            await driver.close()
            await _drain_and_count(stack, results, receiver, report, timeout=120)
            report.elapsed_seconds = time.monotonic() - begin
            report.recover_seconds = _recovery(fault.kills, [r.decided_at for r in results if r.decided_at])
            report.faults = fault.log
            report.problems = [f"flow {r.index}: {r.error}" for r in results if r.error][:10]
        report.idle_cpu_percent = await asyncio.to_thread(_idle_cpu, stack)
    finally:
        await asyncio.to_thread(stack.stop)
    if report.passed:
        # Keep the logs and data of a failed run for inspection; a passing one only fills the disk.
        shutil.rmtree(stack.folder, ignore_errors=True)
    return report


def _recovery(kills: list[float], completions: list[float]) -> float:
    """Longest time from a fault until the next flow completed."""
    worst = 0.0
    for kill in kills:
        after = [c for c in completions if c > kill]
        if after:
            worst = max(worst, min(after) - kill)
    return worst


def append_report(report: ChaosReport, path: Path, command: str) -> None:
    from sysaccess.bench_flows import machine

    lines = [
        f"\n### {report.scenario}: {'PASS' if report.passed else 'FAIL'} "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n",
        f"Command: `{command}`  \nMachine: {machine()}.\n",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in report.rows()),
    ]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def print_report(report: ChaosReport, console: Console) -> None:
    table = Table(title=f"chaos {report.scenario}: {'PASS' if report.passed else 'FAIL'}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in report.rows():
        table.add_row(name, value)
    console.print(table)
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")

"""Fault runs: full flows through the real system while a fault is injected; count what was lost or doubled.

``sysaccess chaos SCENARIO --flows N`` prints a table; the pass bar is lost 0, duplicated 0.
Every run has an overall deadline: when it passes, or on SIGINT/SIGTERM, the run reports what it
has counted and the step it was waiting on, and stops every process it started.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from sysaccess.deadline import RunGuard, in_thread
from sysaccess.flows import FlowDriver, FlowResult
from sysaccess.infra import PROJECT_ROOT
from sysaccess.kafka_logins import admin_options
from sysaccess.processes import ProcessRegistry
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
    missing: list[str] = field(default_factory=list)
    """At the last count, what each flow still lacked ("<request id>: outcome event", ...)."""
    finished: int = 0  # flows that ran to their end (decided, or given up by the driver)
    pending: int = 0  # flows not finished, and outcomes, e-mails or webhooks not seen yet
    counted: bool = False  # lost/duplicated come from a count of the topics, mail and webhooks
    ended_by: str = ""  # "" when the run finished; "deadline" or the signal that ended it
    ending: str = ""
    waiting_on: str = ""

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.ended_by

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
        ] + (
            [
                ("ended", self.ending),
                ("waiting on", self.waiting_on),
                ("flows finished", f"{self.finished} of {self.flows}"),
                ("still pending", str(self.pending)),
                ("lost, duplicated counted", "yes" if self.counted else "no (not reached)"),
            ]
            if self.ended_by
            else []
        )


class Fault:
    """Injects one scenario's fault while flows run; records when the system last lost something."""

    def __init__(
        self,
        stack: LocalStack,
        scenario: str,
        registry: ProcessRegistry | None = None,
        note: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.stack = stack
        self.scenario = scenario
        self.registry = registry
        self.note = note
        self.log: list[str] = []
        self.kills: list[float] = []
        self.running = True
        self.current = ""  # the fault action under way, for a deadline report

    def _logged(self, line: str) -> None:
        self.log.append(line)
        self.note(f"fault: {line}")

    async def _restart_infra(self, start: Callable[[infra.InfraLayout], int], name: str) -> None:
        self.current = f"restarting {name}"
        pid = await in_thread(start, self.stack.layout)
        if self.registry is not None:
            self.registry.track(pid, name)  # stopped at once if the run is already stopping
        self.current = ""

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
            self._logged(f"kill -9 kafka at {fraction:.0%}")
            await asyncio.sleep(2.0)
            await self._restart_infra(infra.start_kafka, "kafka")

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
            self._logged(f"kill -9 {name} at {fraction:.0%}")
            await asyncio.sleep(0.5)
            self.current = f"restarting {name}"
            process.start()
            await in_thread(process.wait_healthy, 90)
            self.current = ""

    async def _redis_restart(self, progress: Callable[[], float]) -> None:
        await self._at(progress, 0.4)
        self.kills.append(time.monotonic())
        self.current = "stopping redis"
        await in_thread(infra.stop_redis, self.stack.layout)
        self._logged("restart redis (SIGTERM, AOF) at 40%")
        self.current = "redis is down, starting it again in 1 s"
        await asyncio.sleep(1.0)
        await self._restart_infra(infra.start_redis, "redis")
        self.note("fault: redis is back")

    async def _poison(self, progress: Callable[[], float]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.stack.layout.kafka_bootstrap,
            acks="all",
            max_request_size=2_000_000,
            **admin_options(self.stack.layout.kafka_bootstrap),
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
                self._logged(f"3 poison messages on {len(CONSUMED_TOPICS)} topics at {fraction:.0%}")
        finally:
            await producer.stop()

    async def _rebalance(self, progress: Callable[[], float]) -> None:
        second = self.stack.processes["approval2"]
        for fraction in (0.15, 0.35, 0.55, 0.75):
            await self._at(progress, fraction)
            self.kills.append(time.monotonic())
            self.current = "stopping approval2"
            await in_thread(second.stop)
            self._logged(f"stop approval2 at {fraction:.0%}")
            await asyncio.sleep(1.5)
            self.current = "starting approval2"
            second.start()
            await in_thread(second.wait_healthy, 90)
            self.current = ""
            self._logged("start approval2")


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


async def _count(
    stack: LocalStack, results: list[FlowResult], receiver: Receiver, report: ChaosReport
) -> int:
    """Count once what the accepted flows produced; fill the report; return how many outcomes,
    e-mails and webhooks are still missing."""
    bootstrap = stack.layout.kafka_bootstrap
    accepted = [r for r in results if r.request_id]
    escalated = {str(r.request_id) for r in accepted if r.decision == "escalate"}
    webhooked = {str(r.request_id) for r in accepted if r.decision in ("approve", "reject")}
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
    missing = duplicated = 0
    lacking: list[str] = []
    for result in accepted:
        request_id = str(result.request_id)
        found = events[result.decision].get(request_id, set())
        if not found:
            missing += 1
            lacking.append(f"{request_id} ({result.decision}): outcome event")
        duplicated += len(found) > 1
        if result.decision == "approve":
            # Only one outcome of any kind per request.
            duplicated += bool(events["reject"].get(request_id))
    for request_id in sorted(escalated):
        if (short := 3 - mails.get(request_id, 0)) > 0:
            missing += short
            lacking.append(f"{request_id} (escalate): {short} of 3 e-mails")
    for request_id in sorted(webhooked):
        if not hook_requests.get(request_id):
            missing += 1
            lacking.append(f"{request_id}: webhook")
    report.missing = lacking
    duplicated += sum(1 for r in webhooked if len(hook_requests.get(r, ())) > 1)
    report.accepted = len(accepted)
    report.outcome_events = sum(len(ids) for per in events.values() for ids in per.values())
    report.system_accesses = sum(1 for ids in events["approve"].values() if ids)
    report.emails = sum(mails.values())
    report.webhooks = len(hook_ids)
    report.duplicated = duplicated
    report.redelivered_same_id = repeated_mail + sum(n - 1 for n in hook_ids.values())
    report.counted = True
    return missing


async def _count_dead_letters(stack: LocalStack, report: ChaosReport) -> None:
    dead = 0
    for topic in [t.dead_letter for t in topics.ALL_TOPICS] + [topics.NOTIFICATIONS_DEAD_LETTER]:
        dead += len(await read_topic(stack.layout.kafka_bootstrap, topic))
    report.dead_letters = dead


async def _drain_and_count(
    stack: LocalStack,
    results: list[FlowResult],
    receiver: Receiver,
    report: ChaosReport,
    timeout: float,
    progress: Callable[[int], None] = lambda _: None,
) -> None:
    """Count until nothing is missing or duplicated, or ``timeout``; what is missing then is lost."""
    deadline = time.monotonic() + timeout
    while True:
        missing = await _count(stack, results, receiver, report)
        report.lost, report.pending = missing, missing
        progress(missing)
        if (missing == 0 and report.duplicated == 0) or time.monotonic() > deadline:
            break
        await asyncio.sleep(2.0)
    report.pending = 0
    report.lost += len(results) - report.accepted
    await _count_dead_letters(stack, report)


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


def default_deadline(flows: int) -> float:
    """Seconds one scenario may take before it is given up: 10 minutes up to 500 flows, more above."""
    return max(600.0, 1.2 * flows)


@dataclass
class ChaosRun:
    stack: LocalStack
    scenario: str
    flows: int
    concurrency: int
    report: ChaosReport
    guard: RunGuard
    console: Console
    results: list[FlowResult] = field(default_factory=list)
    started: int = 0
    receiver: Receiver | None = None
    fault: Fault | None = None

    def _flows_detail(self) -> str:
        running = self.started - len(self.results)
        fault = f"; fault: {self.fault.current}" if self.fault is not None and self.fault.current else ""
        return f"{len(self.results)} of {self.flows} flows finished, {running} in flight{fault}"

    async def execute(self) -> None:
        stack, guard, report = self.stack, self.guard, self.report
        guard.enter("starting Kafka, Redis and the services")
        guard.registry.track_layout(stack.layout)  # their pid files are read whenever it stops
        await in_thread(stack.start)
        with webhook_receiver() as receiver:
            self.receiver = receiver
            guard.enter("registering a system with a webhook")
            system_id = await stack.register_hook_system(receiver.url)
            await asyncio.sleep(1.0)
            guard.enter("logging in to the portal")
            driver = FlowDriver(stack, system_id, uuid.uuid4().hex[:8])
            tasks: list[asyncio.Task[object]] = []
            try:
                await driver.open()
                fault = self.fault = Fault(stack, self.scenario, guard.registry, guard.note)
                semaphore = asyncio.Semaphore(self.concurrency)

                async def one(index: int) -> FlowResult:
                    async with semaphore:
                        self.started += 1
                        return await driver.run(index)

                begin = time.monotonic()
                guard.enter(f"driving {self.flows} flows with the {self.scenario} fault", self._flows_detail)
                fault_task = asyncio.create_task(fault.run(lambda: self.started / self.flows))
                tasks.append(fault_task)
                with Progress(console=self.console, transient=True) as bar:
                    task = bar.add_task(f"chaos {self.scenario}", total=self.flows)
                    pending = [asyncio.create_task(one(i)) for i in range(self.flows)]
                    tasks += pending
                    for finished in asyncio.as_completed(pending):
                        self.results.append(await finished)
                        report.finished = len(self.results)
                        bar.advance(task)
                guard.enter("waiting for the fault to finish", lambda: fault.current)
                fault.running = False
                await fault_task
            finally:
                for pending_task in tasks:
                    pending_task.cancel()
                await driver.close()
            guard.enter(
                "draining: waiting for outcome events, e-mails and webhooks",
                lambda: f"{report.pending} missing, {report.duplicated} duplicated at the last count",
            )
            await _drain_and_count(stack, self.results, receiver, report, timeout=120)
            report.elapsed_seconds = time.monotonic() - begin
            report.recover_seconds = _recovery(
                fault.kills, [r.decided_at for r in self.results if r.decided_at]
            )
            report.faults = fault.log
            report.problems = [f"flow {r.index}: {r.error}" for r in self.results if r.error][:10]
        guard.enter("measuring the services' idle CPU")
        report.idle_cpu_percent = await in_thread(_idle_cpu, stack)

    async def count_now(self, timeout: float) -> None:
        """At the deadline: count what the finished flows produced, as far as Kafka answers in time."""
        if self.receiver is None:
            return
        try:
            missing = await asyncio.wait_for(
                _count(self.stack, list(self.results), self.receiver, self.report), timeout
            )
        except Exception as exc:  # Kafka may be the thing that is down
            self.report.problems.insert(0, f"final count incomplete: {exc!r}"[:200])
            return
        self.report.pending += missing

    def partial(self) -> None:
        """What is known when the run ends early, without asking Kafka."""
        report = self.report
        report.finished = len(self.results)
        report.accepted = max(report.accepted, sum(1 for r in self.results if r.request_id))
        # A flow that finished without being accepted or decided is lost; one not finished is pending.
        report.lost = sum(1 for r in self.results if r.error)
        report.pending = self.flows - len(self.results)
        if self.fault is not None:
            report.faults = self.fault.log
        report.problems = [f"flow {r.index}: {r.error}" for r in self.results if r.error][:10]
        report.elapsed_seconds = self.guard.elapsed


async def run_scenario(
    scenario: str,
    flows: int,
    *,
    concurrency: int = 24,
    console: Console | None = None,
    folder: Path | None = None,
    deadline: float | None = None,
    announce: bool = False,
    handle_signals: bool = False,
    on_early_end: Callable[[ChaosReport], None] | None = None,
) -> ChaosReport:
    """Run one scenario within ``deadline`` seconds (default ``default_deadline(flows)``).

    Whatever way it ends (done, failed, deadline, exception, and with ``handle_signals`` SIGINT
    or SIGTERM), every process it started is stopped before this returns or raises.
    ``on_early_end`` gets the partial report of a run ended by its deadline or a signal, before
    the clean-up (which may take seconds).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario}; choose one of {', '.join(SCENARIOS)}")
    console = console or Console()
    stack = LocalStack(
        folder or PROJECT_ROOT / "var" / "chaos" / f"{scenario}-{os.getpid()}",
        approval_instances=2 if scenario == "rebalance" else 1,
    )
    report = ChaosReport(scenario, flows)
    limit = default_deadline(flows) if deadline is None else deadline
    guard = RunGuard(f"chaos-{scenario}", stack.folder, limit, console, announce=announce)
    run = ChaosRun(stack, scenario, flows, concurrency, report, guard, console)
    if announce:
        console.print(
            f"chaos {scenario}: {flows} flows, deadline {limit:.0f}s, run folder {stack.folder}",
            highlight=False,
        )
    with guard.signals() if handle_signals else contextlib.nullcontext(), guard.registry.running():
        try:
            await guard.run(run.execute)
            if guard.ended_by:
                report.ended_by, report.ending, report.waiting_on = (
                    guard.ended_by,
                    guard.ending(),
                    guard.waiting_on(),
                )
                run.partial()
                if guard.ended_by == "deadline":
                    await run.count_now(timeout=15)
                if on_early_end is not None:
                    on_early_end(report)
        finally:
            guard.cleaning()
            guard.enter("stopping every process of the run")
            if guard.ended_by:
                await in_thread(guard.registry.stop_all)
            else:
                await in_thread(stack.stop)
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

    verdict = "PASS" if report.passed else f"STOPPED ({report.ending})" if report.ended_by else "FAIL"
    lines = [
        f"\n### {report.scenario}: {verdict} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n",
        f"Command: `{command}`  \nMachine: {machine()}.\n",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in report.rows()),
    ]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def print_report(report: ChaosReport, console: Console) -> None:
    verdict = "PASS" if report.passed else "STOPPED" if report.ended_by else "FAIL"
    table = Table(title=f"chaos {report.scenario}: {verdict}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in report.rows():
        table.add_row(name, value)
    console.print(table)
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")
    for lacking in report.missing[:10]:
        console.print(f"[yellow]missing: {lacking}[/yellow]", highlight=False)
    if report.ended_by:
        counted = "" if report.counted else " (outcomes not counted)"
        console.print(
            f"[red]{report.ending}[/red] after {report.elapsed_seconds:.0f}s while waiting on: "
            f"{report.waiting_on}. lost {report.lost}, duplicated {report.duplicated}, "
            f"still pending {report.pending}{counted}",
            highlight=False,
        )

"""Idle burn: CPU of each process of a whole system that has nothing to do.

Starts Kafka, Redis, the provider and the three services (as ``make run`` does, on a stack of
its own), runs a few flows so that every consumer, relay and pool has been used, waits for them
to drain, then measures each process's CPU over a quiet window with psutil.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import psutil
from rich.console import Console
from rich.table import Table

from sysaccess.flows import FlowDriver
from sysaccess.infra import PROJECT_ROOT
from sysaccess.stack import LocalStack

__all__ = ["measure_idle", "run_idle_benchmark"]


def _cpu(procs: dict[str, psutil.Process]) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, proc in procs.items():
        try:
            times = proc.cpu_times()
            found[name] = times.user + times.system
        except psutil.Error:
            found[name] = 0.0
    return found


def measure_idle(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """Percent of one core each process used over ``seconds``."""
    procs = {}
    for name, pid in pids.items():
        try:
            procs[name] = psutil.Process(pid)
        except psutil.Error:
            continue
    before, began = _cpu(procs), time.monotonic()
    time.sleep(seconds)
    after, elapsed = _cpu(procs), time.monotonic() - began
    return {name: 100 * (after[name] - before.get(name, 0.0)) / elapsed for name in after}


async def _warm_up(stack: LocalStack, flows: int) -> None:
    driver = FlowDriver(stack, "314000110_smartcloud", uuid.uuid4().hex[:8], deadline_seconds=60)
    await driver.open()
    try:
        await asyncio.gather(*(driver.run(i) for i in range(flows)))
    finally:
        await driver.close()


def run_idle_benchmark(
    seconds: float, settle: float, warm_up_flows: int, console: Console
) -> dict[str, float]:
    stack = LocalStack(PROJECT_ROOT / "var" / "bench" / f"idle-{os.getpid()}")
    try:
        console.print("starting Kafka, Redis, the provider and the services…")
        stack.start()
        console.print(f"{warm_up_flows} warm-up flows, then {settle:.0f} s to drain…")
        asyncio.run(_warm_up(stack, warm_up_flows))
        time.sleep(settle)
        console.print(f"measuring {seconds:.0f} s of idle…")
        load = os.getloadavg()
        usage = measure_idle(stack.pids(), seconds)
    finally:
        stack.stop()
    table = Table(title=f"Idle CPU over {seconds:.0f} s (percent of one core)")
    table.add_column("process")
    table.add_column("% of a core")
    for name, percent in sorted(usage.items()):
        table.add_row(name, f"{percent:.1f}")
    console.print(table)
    console.print(
        f"machine load average at the start of the window: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    return usage

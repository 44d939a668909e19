"""An overall deadline, the current step, and a clean end for chaos and bench runs.

``RunGuard`` wraps a run: it knows which step the run is waiting on, ends the run at its
deadline, turns SIGINT and SIGTERM into the same orderly end (a second signal stops everything
at once and exits), and owns the run's ``ProcessRegistry``. Blocking calls (starting Kafka,
waiting for a service) go through ``in_thread``, whose threads are daemons: a run that is given
up on does not wait for them at interpreter exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from sysaccess.processes import ProcessRegistry

T = TypeVar("T")

DEADLINE_EXIT = 124  # as timeout(1)
SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}


class RunEnded(Exception):
    """A run was ended by its deadline or a signal, after it reported and cleaned up."""

    def __init__(self, ending: str, exit_code: int) -> None:
        super().__init__(ending)
        self.exit_code = exit_code


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call in a daemon thread and await its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
                loop.call_soon_threadsafe(settle, None, exc)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=work, name=f"run-{getattr(fn, '__name__', 'call')}", daemon=True).start()
    return await future


@dataclass
class RunGuard:
    """One run's deadline, step, processes and how it ended."""

    label: str
    folder: Path
    deadline: float | None
    console: Console
    announce: bool = False  # print every step as a line (the command line tools do)
    step: str = "starting"
    detail: Callable[[], str] | None = None  # more about the step, asked for when it matters
    ended_by: str = ""  # "", "deadline" or a signal's name
    registry: ProcessRegistry = field(init=False)
    began: float = field(default_factory=time.monotonic, init=False)
    _cleaning: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.registry = ProcessRegistry(self.folder, self.label)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.began

    @property
    def exit_code(self) -> int:
        if self.ended_by == "deadline":
            return DEADLINE_EXIT
        return SIGNAL_EXIT.get(self.ended_by, 1 if self.ended_by else 0)

    def enter(self, step: str, detail: Callable[[], str] | None = None) -> None:
        self.step, self.detail = step, detail
        if self.announce:
            self.console.print(f"[dim][{self.elapsed:6.1f}s][/dim] {step}", highlight=False)

    def note(self, line: str) -> None:
        if self.announce:
            self.console.print(f"[dim][{self.elapsed:6.1f}s][/dim]   {line}", highlight=False)

    def waiting_on(self) -> str:
        extra = ""
        if self.detail is not None:
            with contextlib.suppress(Exception):
                extra = self.detail()
        return f"{self.step} ({extra})" if extra else self.step

    def ending(self) -> str:
        if self.ended_by == "deadline":
            return f"deadline of {self.deadline:.0f}s reached"
        return f"interrupted by {self.ended_by}" if self.ended_by else "finished"

    async def run(self, body: Callable[[], Awaitable[T]]) -> T | None:
        """Run ``body`` within the deadline; None when the deadline or a signal ended it."""
        task = asyncio.current_task()
        assert task is not None
        try:
            async with asyncio.timeout(self.deadline) as limit:
                return await body()
        except TimeoutError:
            if not limit.expired():
                raise
            self.ended_by = "deadline"
        except asyncio.CancelledError:
            if not self.ended_by:
                raise
            task.uncancel()
        # Clients abandoned mid-step complain while their broker is being stopped; the report
        # says what matters.
        for noisy in ("aiokafka", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
        return None

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM end the run in order; a second one (or one during clean-up) stops every
        process at once and exits."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def handler(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            if self.ended_by or self._cleaning:
                self.registry.stop_all(grace=2.0)
                os._exit(SIGNAL_EXIT.get(name, 1))
            self.ended_by = name
            loop.call_soon_threadsafe(task.cancel)

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def cleaning(self) -> None:
        """From here on a signal means: stop everything now."""
        self._cleaning = True

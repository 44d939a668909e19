"""Watchdog of one chaos or bench run: when the run ends, whatever way, stop what it left running.

Started by ``ProcessRegistry.open()`` in a session of its own, it reads lines from the run over
a pipe (``run <id>``, ``folder <path>``, ``track <pid> <start time>``, ``done``). End of input
means the run has exited, normally or killed (SIGKILL cannot be caught, so only a process
outside the run can clean up after it). It then stops the tracked processes and every process
that carries the run's marker in its environment or the run's folder in its command line.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from sysaccess.processes import marked_processes, terminate


def main() -> None:
    # Only the end of the pipe ends this process; a terminal's Ctrl-C or a hang-up does not.
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    run_id = ""
    folder: Path | None = None
    tracked: dict[int, int | None] = {}
    for raw in sys.stdin.buffer:
        words = raw.decode(errors="replace").strip().split(" ", 1)
        if words[0] == "run" and len(words) == 2:
            run_id = words[1]
        elif words[0] == "folder" and len(words) == 2:
            folder = Path(words[1])
        elif words[0] == "track" and len(words) == 2:
            pid, _, started = words[1].partition(" ")
            tracked[int(pid)] = None if started in ("", "-1") else int(started)
        elif words[0] == "done":
            break
    pids = dict(tracked)
    if run_id:
        for pid in marked_processes(run_id, folder):
            pids.setdefault(pid, None)
    terminate(pids, grace=5.0)
    # A process may have been forked while the first pass ran (one a dying service was starting,
    # say); look again, a few times, until none of the run's processes is left.
    for _ in range(3):
        left = marked_processes(run_id, folder) if run_id else []
        if not left:
            break
        terminate(dict.fromkeys(left), grace=5.0)


if __name__ == "__main__":
    main()

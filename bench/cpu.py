"""Where the CPUs went during one measured round: the server, PostgreSQL, wrk, idle, the rest.

Two workers double one worker's throughput only if nothing else needs the CPUs. On the
benchmark machine wrk, PostgreSQL and the kernel's loopback networking share them, so what
those cost per request bounds the ratio. Measuring it turns that bound into a figure.

Processes are read from ``/proc/<pid>/stat`` (user + system time, every thread), wrk from
the resource usage of waited children, idle from ``/proc/stat``; "other" is what is left
of the machine's CPUs (mostly softirq time: loopback TCP, which no process is charged for).
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

TICK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1
T = TypeVar("T")


@dataclass(frozen=True)
class CpuUse:
    """CPU-seconds per wall-clock second of one round (1.0 = one whole CPU)."""

    server: float
    postgresql: float
    wrk: float
    idle: float
    other: float

    @property
    def busy(self) -> float:
        """What serving the requests took: the server, its database and the load generator."""
        return self.server + self.postgresql + self.wrk

    @staticmethod
    def mean(uses: list[CpuUse]) -> CpuUse:
        fields = ("server", "postgresql", "wrk", "idle", "other")
        return CpuUse(**{name: sum(getattr(use, name) for use in uses) / len(uses) for name in fields})


def process_seconds(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            # the command name (field 2) may hold spaces: count fields after its ")"
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return found


def idle_seconds() -> float:
    with open("/proc/stat") as stat:
        fields = stat.readline().split()  # cpu user nice system idle iowait ...
    return (int(fields[4]) + int(fields[5])) / TICK


def children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    # a process started during the round counts from zero; one that ended is lost (rare: a
    # pool's connection closing)
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def metered(run: Callable[[], T], *, server: list[int], postgresql: Callable[[], list[int]]) -> tuple[T, CpuUse]:
    """``run()`` and the CPU it took. ``run`` must start the load generator as a waited child
    (``subprocess.run``); ``postgresql`` is asked again at the end for backends forked meanwhile."""
    server_before, postgresql_before = process_seconds(server), process_seconds(postgresql())
    idle_before, children_before, started = idle_seconds(), children_seconds(), time.monotonic()
    result = run()
    elapsed = time.monotonic() - started
    server_spent = _spent(server_before, process_seconds(server))
    postgresql_spent = _spent(postgresql_before, process_seconds(postgresql()))
    wrk_spent = children_seconds() - children_before
    idle_spent = idle_seconds() - idle_before
    other = CPUS * elapsed - server_spent - postgresql_spent - wrk_spent - idle_spent
    return result, CpuUse(server_spent / elapsed, postgresql_spent / elapsed, wrk_spent / elapsed,
                          idle_spent / elapsed, max(0.0, other) / elapsed)

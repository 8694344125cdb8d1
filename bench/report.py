"""The benchmark's report: medians, ratios, peak RSS, where the CPUs went, the goals of issue 8."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.cpu import CPUS

if TYPE_CHECKING:
    from bench.benchmark import Measure

OPERATIONS = ["GET /api/v1/intents", "GET /api/v1/intents/{id}", "POST /api/v1/intents",
              "GET /api/org/{slug}/projects"]


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths, strict=False)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def report(results: dict, extra: dict, connections: list[int]) -> None:
    names = ["ceiling", "prism", *extra["ours"]]
    print("\n== Throughput and latency (medians)")
    rows = []
    for operation in OPERATIONS:
        for c in connections:
            for name in names:
                found = results.get((name, operation, c))
                if found is None:
                    continue
                rows.append([operation, c, name, f"{found.rps:.0f}", f"{found.p50_ms:.2f}", f"{found.p99_ms:.2f}",
                             found.errors])
    print(table(rows, ["operation", "conn", "server", "req/s", "p50 ms", "p99 ms", "non-2xx"]))

    print("\n== Ratios of our server (req/s) to the ceiling and to Prism")
    rows = []
    for operation in OPERATIONS:
        for c in connections:
            ceiling, prism = results.get(("ceiling", operation, c)), results.get(("prism", operation, c))
            for name in extra["ours"]:
                ours = results.get((name, operation, c))
                if ours is None:
                    continue
                rows.append([operation, c, name, f"{ours.rps / ceiling.rps:.2f}" if ceiling else "-",
                             f"{ours.rps / prism.rps:.2f}" if prism else "-"])
    print(table(rows, ["operation", "conn", "server", "÷ ceiling", "÷ prism"]))

    print("\n== Peak RSS per worker (MB)")
    print(table([[name, ", ".join(map(str, values))] for name, values in extra["rss"].items()],
                ["server", "peak RSS"]))

    print(f"\n== Where the {CPUS} CPUs went at 32 connections (CPUs busy; CPU ms per request)")
    rows = []
    for operation in OPERATIONS:
        for name in names:
            found = results.get((name, operation, 32))
            if found is None or found.cpu is None:
                continue
            use = found.cpu
            rows.append([operation, name, f"{found.rps:.0f}", f"{use.server:.2f}", f"{use.postgresql:.2f}",
                         f"{use.wrk:.2f}", f"{use.idle:.2f}", f"{use.other:.2f}",
                         f"{found.cpu_ms_per_request('server'):.3f}", f"{found.cpu_ms_per_request('busy'):.3f}"])
    print(table(rows, ["operation", "server", "req/s", "server", "postgres", "wrk", "idle", "other",
                       "server ms/req", "all ms/req"]))
    print("(other: what no process is charged for, mostly the kernel's loopback networking; "
          "all: server + postgres + wrk)")

    print("\n== Two workers against one, and the most this machine's CPUs allow at one worker's cost")
    rows = []
    for operation in OPERATIONS:
        for store in ("sqlite", "postgresql"):
            one = results.get((f"ours {store} 1w", operation, 32))
            two = results.get((f"ours {store} 2w", operation, 32))
            if one and two and one.cpu and two.cpu:
                rows.append([store, operation, f"{one.rps:.0f}", f"{two.rps:.0f}", f"{two.rps / one.rps:.2f}",
                             f"{one.cpu_ms_per_request('server'):.3f}", f"{two.cpu_ms_per_request('server'):.3f}",
                             f"{cpu_bound(one):.2f}"])
    print(table(rows, ["store", "operation", "1w req/s", "2w req/s", "2w ÷ 1w", "server ms/req 1w", "2w",
                       "CPU bound"]))
    print(f"(CPU bound: {CPUS} CPUs ÷ what one worker's requests kept busy, server + postgres + wrk, at most 2)")

    print("\n== Goals (issue 8)")
    goals = []

    def goal(text, ok):
        goals.append([text, "yes" if ok else "NO"])

    for store in ("sqlite", "postgresql"):
        one = results.get((f"ours {store} 1w", "GET /api/v1/intents", 32))
        two = results.get((f"ours {store} 2w", "GET /api/v1/intents", 32))
        prism = results.get(("prism", "GET /api/v1/intents", 32))
        post = results.get((f"ours {store} 1w", "POST /api/v1/intents", 32))
        prism_post = results.get(("prism", "POST /api/v1/intents", 32))
        if one and prism:
            goal(f"{store}: GET intents 1 worker >= 0.75 x Prism ({one.rps / prism.rps:.2f})",
                 one.rps >= 0.75 * prism.rps)
            goal(f"{store}: GET intents p99 @32 <= 2 x Prism's ({one.p99_ms:.1f} vs {prism.p99_ms:.1f} ms)",
                 one.p99_ms <= 2 * prism.p99_ms)
        if one and two:
            bound = f"; the CPUs allow {cpu_bound(one):.2f}" if one.cpu else ""
            goal(f"{store}: 2 workers >= 1.7 x 1 worker ({two.rps / one.rps:.2f}{bound})", two.rps >= 1.7 * one.rps)
        if post and prism_post:
            goal(f"{store}: POST intents >= 0.5 x Prism's POST ({post.rps / prism_post.rps:.2f})",
                 post.rps >= 0.5 * prism_post.rps)
    print(table(goals, ["goal", "met"]))


def cpu_bound(one_worker: Measure) -> float:
    """The most two workers can give over one when each request keeps costing what it did:
    the machine's CPUs over what one worker's run kept busy (itself, PostgreSQL, wrk)."""
    return min(2.0, CPUS / one_worker.cpu.busy)

"""The benchmark's report: medians, ratios, peak RSS, where the CPUs went, the floor
breakdown, and the goals of the issue "faster than the mock on every operation"."""

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
    names = ["ceiling", "floor", "prism", *extra["ours"]]
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

    floor_breakdown(results, extra, connections)
    store_bounds(results, extra, connections)
    print("\n== Goals")
    print(table(goals(results, connections), ["goal", "met"]))


def floor_breakdown(results: dict, extra: dict, connections: list[int]) -> None:
    """Each operation's server CPU per request split into the ceiling (Starlette answering the
    bytes), connexion with our configuration (floor − ceiling) and ours (security step,
    handler, store: server − floor), at each connection count."""
    print("\n== Where a request's server CPU goes: ceiling → connexion floor → ours (ms per request)")
    rows = []
    for operation in OPERATIONS:
        for c in connections:
            ceiling, floor = results.get(("ceiling", operation, c)), results.get(("floor", operation, c))
            for name in extra["ours"]:
                ours = results.get((name, operation, c))
                if not (ours and ours.cpu and name.endswith(" 1w")):
                    continue
                mine = ours.cpu_ms_per_request("server")
                base = ceiling.cpu_ms_per_request("server") if ceiling and ceiling.cpu else None
                middle = floor.cpu_ms_per_request("server") if floor and floor.cpu else None
                rows.append([operation, c, name, fmt(base), fmt(middle), f"{mine:.3f}",
                             fmt(middle - base if base is not None and middle is not None else None),
                             fmt(mine - middle if middle is not None else None),
                             f"{floor.rps:.0f}" if floor else "-", f"{ours.rps:.0f}"])
    print(table(rows, ["operation", "conn", "server", "ceiling", "floor", "ours", "connexion", "ours − floor",
                       "floor req/s", "ours req/s"]))
    print("(connexion: floor − ceiling, routing, security and validation middleware, parameters, response; "
          "ours − floor: our security step, thread hops, handler and store)")


# the throughput goals, one worker: req/s as a multiple of Prism's, per store and connection count
GOAL_RATIOS = {"sqlite": lambda c: 1.5 if c >= 32 else 1.2, "postgresql": lambda c: 1.0}


def store_bounds(results: dict, extra: dict, connections: list[int]) -> None:
    """For each throughput goal: the most any handler could reach inside connexion, the
    connexion floor plus the request's own SQL statements replayed on a bare driver
    (``bench.budget``; a write with its commit). At one connection a request waits for both
    (wall time); at 32 the one worker's CPU pays both (the floor's server CPU, the statements'
    client CPU; PostgreSQL's own work is on the other CPU). A goal above that bound cannot be
    met by any handler; below it, what is left is the time for all of our Python."""
    statements = extra.get("statements") or {}
    rows = []
    for operation in OPERATIONS:
        for c in connections:
            prism, floor = results.get(("prism", operation, c)), results.get(("floor", operation, c))
            for store, costs in statements.items():
                cost = costs.get(operation)
                ours = results.get((f"ours {store} 1w", operation, c))
                if not (prism and floor and cost and ours):
                    continue
                goal = GOAL_RATIOS[store](c) * prism.rps
                if c == 1 or floor.cpu is None:
                    floor_us, sql_us = 1e6 / floor.rps, cost["wall_us"]
                else:
                    floor_us, sql_us = floor.cpu_ms_per_request("server") * 1000, cost["cpu_us"]
                bound = 1e6 / (floor_us + sql_us)
                left = 1e6 / goal - floor_us - sql_us
                verdict = ("cannot be met inside connexion" if bound < goal
                           else f"{left:.0f} us left for all our Python")
                rows.append([operation, c, store, f"{goal:.0f}", f"{floor_us:.0f}",
                             f"{sql_us:.0f} ({cost['round_trips']}{', commit' if cost['committed'] else ''})",
                             f"{bound:.0f}", f"{ours.rps:.0f}", verdict])
    if not rows:
        return
    print("\n== The most a handler could reach: connexion floor + the request's SQL on a bare driver")
    print(table(rows, ["operation", "conn", "store", "goal req/s", "floor us", "SQL us (statements)",
                       "bound req/s", "ours req/s", "verdict"]))
    print("(SQL: the statements our server sent, replayed by bench.budget (a write in one transaction, "
          "committed); wall time at 1 connection, CPU at 32)")


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def goals(results: dict, connections: list[int]) -> list[list[str]]:
    rows = []

    def goal(text, ok):
        rows.append([text, "yes" if ok else "NO"])

    for operation in OPERATIONS:
        for c in connections:
            prism = results.get(("prism", operation, c))
            for store, ratio in GOAL_RATIOS.items():
                wanted = ratio(c)
                ours = results.get((f"ours {store} 1w", operation, c))
                if ours and prism:
                    goal(f"{store} 1w {operation} c={c} >= {wanted} x Prism ({ours.rps / prism.rps:.2f})",
                         ours.rps >= wanted * prism.rps)
        prism = results.get(("prism", operation, 32))
        ours = results.get(("ours sqlite 1w", operation, 32))
        if ours and prism:
            goal(f"sqlite 1w {operation} p99 @32 <= Prism's ({ours.p99_ms:.1f} vs {prism.p99_ms:.1f} ms)",
                 ours.p99_ms <= prism.p99_ms)
        one, two = results.get(("ours sqlite 1w", operation, 32)), results.get(("ours sqlite 2w", operation, 32))
        if one and two:
            goal(f"sqlite 2w {operation} >= 1.8 x 1w ({two.rps / one.rps:.2f})", two.rps >= 1.8 * one.rps)
    return rows


def cpu_bound(one_worker: Measure) -> float:
    """The most two workers can give over one when each request keeps costing what it did:
    the machine's CPUs over what one worker's run kept busy (itself, PostgreSQL, wrk)."""
    return min(2.0, CPUS / one_worker.cpu.busy)

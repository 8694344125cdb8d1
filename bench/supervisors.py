"""gunicorn with uvicorn workers against ``spec_server.workers``, two workers on SQLite.

Both serve the same app on the same database: ours (``spec-server serve --workers 2``: one
``SO_REUSEPORT`` socket per worker, each worker pinned to a CPU) and gunicorn 2 workers of
``uvicorn.workers.UvicornWorker`` with ``--reuse-port`` and our bounded connection options.
Their rounds alternate (wrk -t1, 32 connections); it prints req/s, p50, p99 and how the
requests' CPU fell on each worker process (an even split is what two workers need).

Run: ``.venv/bin/python -m bench.supervisors`` (needs ``gunicorn``; not a dependency of the server).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from uvicorn.workers import UvicornWorker

from bench import benchmark
from bench.cpu import process_seconds
from spec_server.workers import bounded_options

GUNICORN_WORKER = "bench.supervisors.BoundedUvicornWorker"


class BoundedUvicornWorker(UvicornWorker):
    """uvicorn's gunicorn worker with the connection bounds our server has (slow_clients)."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, **bounded_options(), "access_log": False}


def workers_of(target: benchmark.Target) -> list[int]:
    children = benchmark.descendants(target.process.pid)
    return [pid for pid in children if "resource_tracker" not in benchmark.cmdline(pid)] or [target.process.pid]


def round_of(target: benchmark.Target, request, args, folder: Path) -> tuple[benchmark.Measure, list[float]]:
    pids = workers_of(target)
    before = process_seconds(pids)
    result = benchmark.wrk(target.base_url, request, 32, args.duration, folder, pin=False)
    after = process_seconds(pids)
    spent = [after.get(pid, 0.0) - before.get(pid, 0.0) for pid in pids]
    return result, spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="spec-server-supervisors-"))
    (folder / "seed").mkdir()
    url = f"sqlite:///{folder}/bench.sqlite3"
    created = benchmark.prepare_database(url, folder / "seed")
    ours = benchmark.start_ours("ours 2w", url, 2, folder / "ours.log")
    port = benchmark.free_port()
    try:
        gunicorn = benchmark.start(
            "gunicorn 2w", [sys.executable, "-m", "gunicorn", "-w", "2", "-k", GUNICORN_WORKER, "--reuse-port",
                            "-b", f"127.0.0.1:{port}", "--log-level", "warning", "spec_server.asgi:create()"],
            port=port, probe="/api/v1/intents", env={**benchmark.SERVER_ENV, "DATABASE_URL": url}, workers=2,
            log=folder / "gunicorn.log")
    except Exception:
        ours.stop()
        raise
    try:
        fixture = benchmark.fill(ours, created, url)
        print(f"wrk -t1 -c32, {args.repeat} alternated rounds of {args.duration} s; SQLite, 2 workers each")
        for operation in ("GET /api/v1/intents", "GET /api/v1/intents/{id}"):
            request = benchmark.all_requests(fixture)[operation]
            rounds: dict[str, list] = {"ours 2w": [], "gunicorn 2w": []}
            for target in (ours, gunicorn):
                benchmark.wrk(target.base_url, request, 32, 2, folder, pin=False)  # warm-up
            for _ in range(args.repeat):
                for target in (ours, gunicorn):
                    rounds[target.name].append(round_of(target, request, args, folder))
            print(f"\n== {operation}")
            for name, found in rounds.items():
                shares = [max(spent) / sum(spent) for _result, spent in found if sum(spent) > 0]
                print(f"{name:12} {statistics.median(r.rps for r, _ in found):7.0f} req/s  "
                      f"p50 {statistics.median(r.p50_ms for r, _ in found):6.2f} ms  "
                      f"p99 {statistics.median(r.p99_ms for r, _ in found):6.2f} ms  "
                      f"busiest worker's share of the CPU: median {statistics.median(shares):.2f}, "
                      f"max {max(shares):.2f}")
    finally:
        ours.stop()
        gunicorn.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

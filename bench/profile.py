"""Flame graphs of our server answering each benchmarked operation (py-spy, GIL holder only).

Starts one worker on SQLite (pinned to CPU 0), fills it as the benchmark does, then for each
operation and connection count runs wrk (CPU 1) and records ``py-spy record --gil`` for a
fixed time: an SVG flame graph and the collapsed stacks (gzipped) per operation, and a summary of the
share of samples in each layer (each sample counted once, in the innermost layer on its stack). Samples are the thread holding the GIL, so the shares are of Python's time,
whatever else the machine runs.

Run: ``.venv/bin/python -m bench.profile [--out bench/results/DATE-profiles]`` (needs py-spy:
``pip install py-spy``; not a dependency of the server).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import gzip
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import benchmark

# frames (function name as py-spy prints it) that mark a layer; a sample belongs to the
# innermost layer on its stack (our handler inside connexion's parameter decorator is ours)
LAYERS = {
    "uvicorn protocol (parse, write the socket)": ("data_received (uvicorn", "RequestResponseCycle.send ("),
    "routing and the middleware between (Starlette routers, connexion routing, context)": ("Router.app (starlette/routing.py",),
    "connexion security middleware": ("SecurityOperation.__call__ (",),
    "connexion request validation": ("RequestValidationOperation.__call__ (",),
    "connexion parameters and response": ("AsyncOperation.__call__ (",),
    "our security step (authorize)": ("security_hook.<locals>.authorize (",),
    "our handler (wrap.handler)": ("wrap.<locals>.handler (",),
    "waiting for a thread's answer (offload)": ("_work (spec_server/offload.py",),
}
OTHER = "the rest (event loop, asyncio, our middleware, start of a request)"


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for layer, marks in LAYERS.items():
            if any(mark in frame for mark in marks):
                return layer
    return OTHER


def summary(collapsed: Path) -> list[str]:
    total, found = 0, collections.Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        found[layer_of(stack.split(";"))] += int(count)
    if not total:
        return ["  no samples"]
    return [f"  {found[layer] / total * 100:5.1f}%  {layer}" for layer in (*LAYERS, OTHER)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=benchmark.ROOT / "bench" / "results"
                        / f"{datetime.date.today().isoformat()}-profiles")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, nargs="+", default=[1])
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="spec-server-profile-"))
    (folder / "seed").mkdir()
    url = f"sqlite:///{folder}/bench.sqlite3"
    created = benchmark.prepare_database(url, folder / "seed")
    target = benchmark.start_ours("ours sqlite 1w", url, 1, folder / "server.log")
    lines = [f"py-spy --gil, {args.seconds} s per operation, one worker on SQLite (CPU 0), wrk on CPU 1"]
    try:
        fixture = benchmark.fill(target, created, url)
        pid = target.worker_pids()[0]
        for operation, request in benchmark.all_requests(fixture).items():
            for connections in args.connections:
                name = operation.replace("/", "_").replace(" ", "").replace("{", "").replace("}", "") + \
                    f"-c{connections}"
                load = threading.Thread(target=benchmark.wrk, args=(target.base_url, request, connections,
                                                                     args.seconds + 3, folder), kwargs={"pin": True})
                load.start()
                for kind, suffix in (("flamegraph", "svg"), ("raw", "txt")):
                    subprocess.run([py_spy, "record", "-p", str(pid), "-d", str(args.seconds // 2), "-r", "250",
                                    "--gil", "--nonblocking", "-f", kind, "-o", str(args.out / f"{name}.{suffix}")],
                                   check=True, capture_output=True)
                load.join()
                lines += [f"\n{operation} at {connections} connection(s) ({name}.svg):",
                          *summary(args.out / f"{name}.txt")]
                raw = args.out / f"{name}.txt"  # the collapsed stacks, kept small: {name}.txt.gz
                raw.with_suffix(".txt.gz").write_bytes(gzip.compress(raw.read_bytes()))
                raw.unlink()
    finally:
        target.stop()
    (args.out / "summary.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

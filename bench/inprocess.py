"""Microseconds per request of our app and of the connexion floor, called in-process.

No socket, no uvicorn, no wrk: each request is one call of the connexion ASGI app (the same
``create`` as a server worker's, ``spec_server.asgi`` or ``bench.floor``) on one event loop,
in a process pinned to CPU 0, on a database seeded and filled as the benchmark's. The
difference between the two is what our security step, handlers, store and thread hops cost,
without the network's noise; ``--profile`` adds py-spy's collapsed stacks of ours per
operation, and the time under each of our layers, in microseconds.

Run: ``.venv/bin/python -m bench.inprocess [--requests 3000] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench import benchmark

# our layers, by the function that opens each (py-spy's names): the time spent inside
OUR_LAYERS = {
    "our security step": "security_hook.<locals>.authorize (spec_server/pipeline.py)",
    "  its API's authorize": "authorize (handlers/",
    "our handler (wrap.handler)": "wrap.<locals>.handler (spec_server/pipeline.py)",
    "  statements (Prepared)": "Prepared.execute (spec_server/compiled.py)",
}


def prepare(folder: Path) -> tuple[str, Path, Path]:
    """A seeded, filled SQLite database; the benchmark's requests and bodies as files."""
    url = f"sqlite:///{folder}/bench.sqlite3"
    created = benchmark.prepare_database(url, folder)
    os.environ.update(benchmark.SERVER_ENV)
    from spec_server import config
    from spec_server.app import create_app

    app = create_app(config.Settings.from_env(database_url=url, validate_responses=False))
    with app.test_client() as client:
        fixture = benchmark.fill(None, created, url, client=client)
    requests, bodies = folder / "requests.json", folder / "bodies.json"
    requests.write_text(json.dumps({op: asdict(r) for op, r in benchmark.all_requests(fixture).items()}))
    bodies.write_text(json.dumps(fixture.bodies))
    return url, requests, bodies


def _scope(request: dict) -> tuple[dict, bytes]:
    body = json.dumps(request["body"]).encode() if request.get("body") is not None else b""
    headers = [(k.lower().encode(), v.encode()) for k, v in request["headers"].items()]
    headers += [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request["method"],
            "scheme": "http", "path": request["path"], "raw_path": request["path"].encode(), "query_string": b"",
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 5555),
            "server": ("127.0.0.1", 8000)}, body


async def _call(app, scope: dict, body: bytes) -> int:
    sent = False
    status = []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(dict(scope), receive, send)
    return status[0]


async def _measure(app, requests: dict, count: int) -> dict[str, float]:
    startup: asyncio.Queue = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    started: asyncio.Queue = asyncio.Queue()
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, startup.get, started.put))
    await started.get()
    result = {}
    for operation, request in requests.items():
        scope, body = _scope(request)
        for _ in range(200):  # warm: statements compiled, renderings kept
            status = await _call(app, scope, body)
        if status >= 400:
            raise RuntimeError(f"{operation}: {status}")
        began = time.perf_counter()
        for _ in range(count):
            await _call(app, scope, body)
        result[operation] = (time.perf_counter() - began) / count * 1e6
    lifespan.cancel()
    return result


def serve_calls(which: str, requests_file: str, count: int, only: str | None) -> None:
    """In the child process: build the app, time the calls, print JSON."""
    if which == "ours":
        from spec_server.asgi import create
    else:
        from bench.floor import create
    app = create()
    requests = json.loads(Path(requests_file).read_text())
    if only:
        requests = {only: requests[only]}
    print(json.dumps(asyncio.run(_measure(app, requests, count))))


def _child(which: str, url: str, requests: Path, bodies: Path, count: int, only: str | None = None,
           profile: Path | None = None) -> dict:
    env = {**os.environ, **benchmark.SERVER_ENV, "DATABASE_URL": url, "BENCH_BODIES": str(bodies)}
    command = [sys.executable, "-m", "bench.inprocess", "--child", which, str(requests), str(count)]
    if only:
        command += ["--only", only]
    if profile is not None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        command = [py_spy, "record", "-r", "2000", "-f", "raw", "-o", str(profile), "--", *command]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    output = subprocess.run(command, cwd=benchmark.ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(next(line for line in reversed(output.stdout.splitlines()) if line.startswith("{")))


def layers(collapsed: Path, per_request_us: float) -> dict[str, float]:
    """Microseconds per request under each of ``OUR_LAYERS`` (samples inside the timed calls)."""
    inside = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        if not any(frame.startswith("_call (") for frame in frames):
            continue
        total += int(count)
        for name, opener in OUR_LAYERS.items():
            if any(frame.startswith(opener) for frame in frames):
                inside[name] += int(count)
    return {name: inside[name] / total * per_request_us if total else 0.0 for name in OUR_LAYERS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="calls per operation")
    parser.add_argument("--profile", action="store_true", help="py-spy: where our part of the time goes")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        which, requests_file, count = args.child
        serve_calls(which, requests_file, int(count), args.only)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="spec-server-inprocess-"))
    url, requests, bodies = prepare(folder)
    floor = _child("floor", url, requests, bodies, args.requests)
    ours = _child("ours", url, requests, bodies, args.requests)
    print("us per request, in-process, one process on CPU 0, SQLite")
    print(f"{'operation':30} {'floor':>7} {'ours':>7} {'ours - floor':>13}")
    for operation in ours:
        print(f"{operation:30} {floor[operation]:7.1f} {ours[operation]:7.1f} {ours[operation] - floor[operation]:13.1f}")
    if args.profile:
        print("\nour layers, us per request (py-spy, 2,000 samples a second, the timed calls only)")
        for operation in ours:
            collapsed = folder / "stacks.txt"
            _child("ours", url, requests, bodies, args.requests * 10, only=operation, profile=collapsed)
            parts = ", ".join(f"{name.strip()} {value:.1f}" for name, value in layers(collapsed, ours[operation]).items())
            print(f"{operation:30} {parts}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Hostile input against a real server: does one tenant's abuse cost the others, and does the
server give its memory back? A benchmark-style script that prints figures (README "Hostile
input"); it asserts nothing.

    .venv/bin/python -m bench.hostile [--duration 20] [--flooders 16] [--out bench/results/X.txt]

One worker on SQLite, pinned to CPU 0 (this script runs on CPU 1). Tenant A holds an intent of
about 1,000 graded items (100 outcomes, 100 edge cases, 100 constraints, 700 constitution
rules). The phases:

1. idle: the server's RSS after a warm-up; tenant B's ``GET /api/v1/workspace`` p50/p99 alone;
2. verify flood: ``--flooders`` clients of tenant A post verify (a 20,000-character summary,
   900 KB of code changes) back to back for ``--duration`` s, while tenant B reads its
   workspace every 10 ms: B's p50/p99, A's answers by status, RSS at the end;
3. body flood: four concurrent 50 MB bodies with Content-Length, four chunked ones, and 200
   connections that send their head slowly: answers by status, closed connections;
4. settle: RSS 5 s and 15 s later, against idle (target: within 20%);

phases 2-4 run ``--rounds`` times (default 2): a second round shows whether memory keeps growing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).with_name("spec-server")
WORDS = ("reset password login screen email token expiry session audit export invoice billing plan "
         "search index cache queue retry webhook signature secret rotate").split()


def seed_data() -> dict:
    rules = [{"category": "general", "text": f"Rule {n}: always {WORDS[n % len(WORDS)]} the {WORDS[(n * 7) % len(WORDS)]}"}
             for n in range(700)]
    workspace = {"plan": "team", "products": [{"name": "Core", "slug": "core"}]}
    return {"pathmode": {
        "users": [{"email": "a@bench.example"}, {"email": "b@bench.example"}],
        "workspaces": [
            {**workspace, "name": "A", "urlKey": "a", "constitutionRules": rules,
             "members": [{"email": "a@bench.example", "role": "owner"}],
             "apiKeys": [{"name": "k", "user": "a@bench.example", "scopes": ["read", "write"]}]},
            {**workspace, "name": "B", "urlKey": "b",
             "members": [{"email": "b@bench.example", "role": "owner"}],
             "apiKeys": [{"name": "k", "user": "b@bench.example", "scopes": ["read", "write"]}]},
        ]}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    total = 0
    for each in [pid, *children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def reads(base: str, key: str, stop: threading.Event, pause: float = 0.01) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get("/api/v1/workspace")
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            time.sleep(pause)
    return latencies


def timed_reads(base: str, key: str, seconds: float) -> list[float]:
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    return reads(base, key, stop)


def flood_verify(base: str, key: str, intent_id: str, stop: threading.Event, statuses: Counter, lock) -> None:
    body = {"summary": ". ".join(" ".join(WORDS[(n + i) % len(WORDS)] for i in range(8)) for n in range(400))[:20_000],
            "codeChanges": "\n".join(f"+ {' '.join(WORDS[(n + i) % len(WORDS)] for i in range(6))}" for n in range(20_000))[:900_000]}
    encoded = json.dumps(body).encode()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                      timeout=120) as client:
        while not stop.is_set():
            response = client.post(f"/api/v1/intents/{intent_id}/verify", content=encoded)
            with lock:
                statuses[response.status_code] += 1
            if response.status_code == 503:
                time.sleep(0.05)  # a polite client would wait Retry-After; an abusive one barely does


def flooder(base: str, key: str, intent_id: str, stop, results) -> None:
    # at the lowest priority: on this 2-CPU machine the flooders share CPU 1 with the reader,
    # and a reader waiting for its turn on CPU 1 would count as the server's latency
    os.nice(19)
    statuses, lock = Counter(), threading.Lock()
    flood_verify(base, key, intent_id, stop, statuses, lock)
    results.put(dict(statuses))


def big_body(base: str, key: str, chunked: bool) -> int:
    size = 50 * 1024 * 1024
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def chunks():
        block = b"x" * (1024 * 1024)
        yield b'{"title": "'
        for _ in range(size // len(block)):
            yield block
        yield b'"}'

    with contextlib.suppress(httpx.HTTPError):
        with httpx.Client(base_url=base, timeout=60) as client:
            content = chunks() if chunked else b'{"title": "' + b"x" * size + b'"}'
            return client.post("/api/v1/intents", content=content, headers=headers).status_code
    return 0  # the server closed the connection while the client was still sending


def slow_heads(base: str, count: int, wait: float) -> tuple[int, int]:
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=wait + 10)
        sock.sendall(b"GET /api/v1/workspace HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
        sockets.append(sock)
    time.sleep(wait)
    closed = 0
    for sock in sockets:
        sock.settimeout(5)
        with contextlib.suppress(OSError):
            data = sock.recv(1024)
            if data.startswith(b"HTTP/1.1 408") or data == b"":
                closed += 1
        sock.close()
    return closed, count


def start_server(tmp: Path, env: dict) -> tuple[subprocess.Popen, str, dict]:
    url = f"sqlite:///{tmp}/hostile.sqlite3"
    seed = tmp / "seed.json"
    seed.write_text(json.dumps(seed_data()))
    created = json.loads(subprocess.run([str(BIN), "seed", str(seed), "--database", url], env=env, cwd=ROOT,
                                        capture_output=True, text=True, check=True).stdout)
    port = free_port()
    command = [str(BIN), "serve", "--port", str(port), "--database", url]
    if os.path.exists("/usr/bin/taskset"):
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=open(tmp / "server.log", "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/v1/workspace", timeout=2).status_code == 401:
                return process, base, created
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def big_intent(base: str, key: str, product: str) -> str:
    text = lambda n, kind: f"{kind} {n}: " + " ".join(WORDS[(n * 3 + i) % len(WORDS)] for i in range(10))  # noqa: E731
    body = {"title": "Everything at once", "objective": "Grade a thousand items", "productId": product,
            "outcomes": [text(n, "Outcome") for n in range(100)],
            "constraints": [text(n, "Constraint") for n in range(100)],
            "edgeCases": [{"scenario": text(n, "Case"), "expectedBehavior": text(n + 1, "Then")} for n in range(100)]}
    response = httpx.post(f"{base}/api/v1/intents", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def abuse_round(base: str, key_a: str, key_b: str, intent: str, args, pid: int, idle: float, say) -> None:
    """One verify flood, the large bodies and the slow heads, then the RSS once it settles."""
    # the flooders run in processes of their own: in this one their GIL turns would
    # delay the reader's own requests and be counted as the server's latency
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    flooders = [context.Process(target=flooder, args=(base, key_a, intent, stop, results))
                for _ in range(args.flooders)]
    for each in flooders:
        each.start()
    time.sleep(1)
    during = timed_reads(base, key_b, args.duration)
    peak = rss_mb(pid)
    stop.set()
    statuses = Counter()
    for _ in flooders:
        statuses.update(results.get(timeout=180))
    for each in flooders:
        each.join()
    say(f"during the verify flood: tenant B p50 {statistics.median(during):.1f} ms, "
        f"p99 {percentile(during, 0.99):.1f} ms, max {max(during):.1f} ms ({len(during)} reads; target p99 < 100 ms)")
    say(f"tenant A's verify answers: {dict(sorted(statuses.items()))}; RSS at the end {peak:.0f} MB")

    answers: list = []
    bodies = [threading.Thread(target=lambda c=chunked: answers.append(big_body(base, key_a, c)))
              for chunked in (False, False, False, False, True, True, True, True)]
    for thread in bodies:
        thread.start()
    for thread in bodies:
        thread.join()
    after_bodies = rss_mb(pid)
    say(f"4 × 50 MB bodies with Content-Length and 4 chunked: answers {sorted(answers)} "
        f"(0: closed while sending); RSS {after_bodies:.0f} MB")
    closed, count = slow_heads(base, 200, 3)
    say(f"200 slow request heads (HEADER_READ_TIMEOUT=2): {closed} of {count} answered 408 and closed within 3 s")
    time.sleep(5)
    soon = rss_mb(pid)
    time.sleep(10)  # anyio's idle threads leave after 10 s
    settled = rss_mb(pid)
    say(f"RSS 5 s later {soon:.0f} MB = {soon / idle:.2f} × idle; 15 s later {settled:.0f} MB = "
        f"{settled / idle:.2f} × idle (target ≤ 1.20)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--flooders", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="abuse rounds (a second shows whether memory keeps growing)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {1})
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    env = {**os.environ, "RATE_LIMITS": "general=1000000000/3600,intents=1000000000/3600", "HEADER_READ_TIMEOUT": "2"}
    with tempfile.TemporaryDirectory() as folder:
        process, base, created = start_server(Path(folder), env)
        try:
            ws = created["pathmode"]["workspaces"]
            key_a, key_b = ws["a"]["apiKeys"]["k"], ws["b"]["apiKeys"]["k"]
            intent = big_intent(base, key_a, ws["a"]["products"]["core"])
            timed_reads(base, key_b, 2)  # warm-up
            idle = rss_mb(process.pid)
            alone = timed_reads(base, key_b, 5)
            say(f"hostile input bench: 1 worker (SQLite, CPU 0), {args.flooders} verify flooders for {args.duration:g} s")
            say(f"idle RSS {idle:.0f} MB; tenant B GET /api/v1/workspace alone: p50 {statistics.median(alone):.1f} ms, "
                f"p99 {percentile(alone, 0.99):.1f} ms ({len(alone)} reads)")

            for round_number in range(1, args.rounds + 1):
                say(f"round {round_number}:")
                abuse_round(base, key_a, key_b, intent, args, process.pid, idle, say)
        finally:
            process.terminate()
            process.wait(20)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

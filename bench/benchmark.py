"""The benchmark: our server against a bare Starlette ceiling and the Prism mock server.

Run it through ``bench/run.sh`` (installs wrk and Prism, starts a throwaway PostgreSQL).
For every target and operation, at 1 and 32 connections: a warm-up, then ``--repeat`` wrk
rounds of ``--duration`` seconds; it prints the medians (req/s, p50, p99), the peak RSS of each
server process, the ratios of our server to the ceiling and to Prism, the goals of issue 8,
and the growth table (the same lists with 1,000 and with 100,000 rows in their tables).

Our server's two worker counts run side by side and their rounds alternate (1 worker, 2
workers, 1 worker, ...), so drift of a shared machine over a long run falls on both alike.
Every round also records where the CPUs went (``bench/cpu.py``): the server, PostgreSQL, wrk,
idle, the rest; the report prints it per request and, for two workers, the ratio the
machine's CPUs allow at that cost.

Targets: (a) ceiling — Starlette returning the bytes our server returns; (b) Prism 5 mocking
the same operations of the upstream documents, with our bodies as the examples and quiet
logging (``-v error``); (c) our server on SQLite and (d) on PostgreSQL, 1 and 2 workers.
A 1-worker server is pinned to CPU 0; wrk always runs on CPU 1. While a 1-worker server runs
on PostgreSQL, PostgreSQL's processes run on CPU 1 beside wrk (``pin_postgres``): the worker
under test has its CPU to itself, as Prism has, and as it has beside a database on another
machine. With 2 workers, PostgreSQL uses every CPU again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path

import httpx

from bench.cpu import CPUS, CpuUse, metered
from bench.report import report, table

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
PRISM = CACHE / "prism" / "node_modules" / ".bin" / "prism"

# limits high enough that the benchmark measures work, not 429s; 1 s windows keep the
# rate-window rows as few as a real deployment's (see README "Benchmark")
SERVER_ENV = {
    "RATE_LIMITS": "intents=1000000000/1,general=1000000000/1",
    "VALIDATE_RESPONSES": "0",
    "SPEC_SERVER_FLAVOUR": "async",
}

BENCH_SEED = {
    "backlex": {"users": [{"email": "bench@example.com", "name": "Bench"}]},
    "pathmode": {
        "users": [{"email": "bench@example.com"}],
        "workspaces": [
            {"name": "Reads", "urlKey": "reads", "plan": "team",
             "members": [{"email": "bench@example.com", "role": "owner"}],
             "products": [{"name": "Checkout", "slug": "checkout"}],
             "apiKeys": [{"name": "bench", "user": "bench@example.com", "scopes": ["read", "write"]}]},
            {"name": "Writes", "urlKey": "writes", "plan": "team",
             "members": [{"email": "bench@example.com", "role": "owner"}],
             "products": [{"name": "Checkout", "slug": "checkout"}],
             "apiKeys": [{"name": "bench", "user": "bench@example.com", "scopes": ["read", "write"]}]},
        ],
    },
}


def intent_body(product_id: str, number: int, *, for_prism: bool = False) -> dict:
    """An intent as a client writes one. ``for_prism``: without the structured outcome and
    edge case, which Prism's validator refuses (it reads those oneOf items as strings)."""
    if for_prism:
        body = intent_body(product_id, number)
        body["outcomes"] = [text for text in body["outcomes"] if isinstance(text, str)]
        del body["edgeCases"]
        return body
    return {
        "title": f"Speed up onboarding, step {number}",
        "objective": "Cut time-to-first-value for new workspaces under ten minutes",
        "productId": product_id,
        "problemSeverity": "high",
        "outcomes": ["New user reaches first intent in under 10 min",
                     {"text": "Activation rate above 40%", "priority": "must"}],
        "healthMetrics": ["p95 onboarding time", "support tickets per signup"],
        "constraints": ["No new required fields", "Works without JavaScript"],
        "edgeCases": [{"scenario": "User abandons half-way", "expectedBehavior": "Progress is kept"}],
        "verification": {"manualChecks": ["Walk through signup on mobile"]},
    }


# --------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(FileNotFoundError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def peak_rss_mb(pid: int) -> float | None:
    with contextlib.suppress(FileNotFoundError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def cmdline(pid: int) -> str:
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


@dataclass
class Target:
    name: str
    base_url: str
    process: subprocess.Popen
    workers: int = 1
    pinned: bool = False  # the server runs on CPU 0 alone; wrk then runs on CPU 1

    def worker_pids(self) -> list[int]:
        """The processes that answer requests (uvicorn's workers, or the one process)."""
        children = [pid for pid in descendants(self.process.pid)
                    if "resource_tracker" not in cmdline(pid)]
        serving = [pid for pid in children if "multiprocessing" in cmdline(pid) or "node" in cmdline(pid)]
        return serving or [self.process.pid]

    def peak_rss(self) -> list[float]:
        return [round(rss, 1) for pid in self.worker_pids() if (rss := peak_rss_mb(pid)) is not None]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start(name: str, command: list[str], *, port: int, probe: str, env: dict | None = None,
          cpus: str | None = None, workers: int = 1, log: Path) -> Target:
    if cpus and shutil.which("taskset"):
        command = ["taskset", "-c", cpus, *command]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    target = Target(name, f"http://127.0.0.1:{port}", process, workers, pinned=bool(cpus) and bool(shutil.which("taskset")))
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(target.base_url + probe, timeout=2)
            break
        if time.monotonic() > deadline:
            target.stop()
            raise RuntimeError(f"{name} did not start in 120 s")
        time.sleep(0.3)
    while workers > 1 and len(target.worker_pids()) < workers and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(1)  # let every worker finish its start-up
    return target


# --------------------------------------------------------------------------------------------
# wrk

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: dict | None = None


@dataclass
class Measure:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu: CpuUse | None = None  # the mean of the rounds

    def cpu_ms_per_request(self, part: str) -> float:
        return getattr(self.cpu, part) / self.rps * 1000


def lua_script(request: Request, folder: Path) -> Path:
    lines = [f'wrk.method = "{request.method}"']
    for name, value in request.headers.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if request.body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = {json.dumps(json.dumps(request.body))}")
    path = folder / f"request-{abs(hash((request.method, request.path, json.dumps(request.body))))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(url: str, request: Request, connections: int, seconds: float, folder: Path, *, pin: bool) -> Measure:
    """``pin``: run on CPU 1, beside a server pinned to CPU 0. A server that uses every CPU
    leaves wrk to the scheduler: pinned beside a pinned worker, wrk got a fair share of one
    CPU against that worker's threads, starved the other worker, and two workers measured
    anywhere from 1.0× to 1.8× one from round to round."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "--latency",
               "-s", str(lua_script(request, folder)), url + request.path]
    if pin:
        command = ["taskset", "-c", "1", *command]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {int(p): float(v) * UNITS[u]
                   for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*?timeout (\d+)", output)
    return Measure(rps, percentiles.get(50, float("nan")), percentiles.get(99, float("nan")),
                   (int(errors.group(1)) if errors else 0) + (int(socket_errors.group(1)) if socket_errors else 0))


NO_DATABASE_PROCESSES: Callable[[], list[int]] = list


def warm_up(target: Target, request: Request, connections: int, args, folder: Path) -> None:
    wrk(target.base_url, request, connections, args.warmup, folder, pin=target.pinned)


def measured_round(target: Target, request: Request, connections: int, args, folder: Path,
                   postgresql: Callable[[], list[int]]) -> Measure:
    result, cpu = metered(lambda: wrk(target.base_url, request, connections, args.duration, folder,
                                      pin=target.pinned),
                          server=target.worker_pids(), postgresql=postgresql)
    return replace(result, cpu=cpu)


def medians(rounds: list[Measure]) -> Measure:
    return Measure(statistics.median(r.rps for r in rounds), statistics.median(r.p50_ms for r in rounds),
                   statistics.median(r.p99_ms for r in rounds), sum(r.errors for r in rounds),
                   CpuUse.mean([r.cpu for r in rounds if r.cpu]) if any(r.cpu for r in rounds) else None)


def measure_alternating(targets: list[Target], request: Request, connections: int, args, folder: Path, *,
                        postgresql: Callable[[], list[int]], place: Callable[[Target], None]) -> dict[str, Measure]:
    """``measure`` for several servers at once, their rounds alternating; ``place(target)``
    runs before each of a target's rounds (where PostgreSQL's processes may run)."""
    for target in targets:
        place(target)
        warm_up(target, request, connections, args, folder)
    rounds: dict[str, list[Measure]] = {target.name: [] for target in targets}
    for _ in range(args.repeat):
        for target in targets:
            place(target)
            rounds[target.name].append(measured_round(target, request, connections, args, folder, postgresql))
    return {name: medians(found) for name, found in rounds.items()}


def measure(target: Target, request: Request, connections: int, args, folder: Path) -> Measure:
    """One server alone (the references, the growth table)."""
    return measure_alternating([target], request, connections, args, folder,
                               postgresql=NO_DATABASE_PROCESSES, place=lambda target: None)[target.name]


def say(label: str, operation: str, connections: int, result: Measure) -> None:
    """A progress line (a full run takes about 25 minutes)."""
    print(f"  {label:20} {operation:30} c={connections:<3} {result.rps:9.0f} req/s", flush=True)


# --------------------------------------------------------------------------------------------
# data


@dataclass
class Fixture:
    """What the benchmark requests need: keys, ids, and the bodies our server answers."""

    read_key: str
    write_key: str
    write_product: str
    intent_id: str
    org_slug: str
    session: str
    bodies: dict  # "<METHOD> <route>" -> [status, body]


def prepare_database(url: str, folder: Path) -> dict:
    """Seed the benchmark tenants (in a subprocess, so this process binds no database)."""
    seed_file = folder / "seed.json"
    seed_file.write_text(json.dumps(BENCH_SEED))
    output = subprocess.run([sys.executable, "-m", "spec_server.cli", "seed", str(seed_file), "--database", url],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def fill(target: Target | None, created: dict, url: str, client: httpx.Client | None = None) -> Fixture:
    """20 intents and 20 projects in the read tenant, through the API where it is built (over
    HTTP to ``target``, or through ``client``, an open in-process test client)."""
    reads = created["pathmode"]["workspaces"]["reads"]
    writes = created["pathmode"]["workspaces"]["writes"]
    read_key, write_key = reads["apiKeys"]["bench"], writes["apiKeys"]["bench"]
    session = created["backlex"]["users"]["bench@example.com"]["sessionToken"]
    opened = contextlib.nullcontext(client) if client is not None else \
        httpx.Client(base_url=target.base_url if target else "", timeout=30)
    with opened as client:
        auth = {"Authorization": f"Bearer {read_key}"}
        for number in range(20):
            response = client.post("/api/v1/intents", headers=auth,
                                   json=intent_body(reads["products"]["checkout"], number))
            response.raise_for_status()
        cookies = {"better-auth.session_token": session}
        org = client.post("/api/org", json={"name": "Bench Org"}, cookies=cookies)
        org.raise_for_status()
        slug = org.json()["org"]["slug"]
        for number in range(20):
            made = client.post(f"/api/org/{slug}/projects", json={"name": f"project-{number:02d}"}, cookies=cookies)
            if made.status_code != 201:  # not built (501), or past the free plan's 2 (409): the rest as rows
                insert_projects(url, org.json()["org"]["id"], 20 - number)
                break
        listed = client.get("/api/v1/intents", headers=auth)
        intent_id = listed.json()["intents"][0]["id"]
        one = client.get(f"/api/v1/intents/{intent_id}", headers=auth)
        posted = client.post("/api/v1/intents", headers={"Authorization": f"Bearer {write_key}"},
                             json=intent_body(writes["products"]["checkout"], 0, for_prism=True))
        projects = client.get(f"/api/org/{slug}/projects", cookies=cookies)
    bodies = {
        "GET /api/v1/intents": [listed.status_code, listed.json()],
        "GET /api/v1/intents/{id}": [one.status_code, one.json()],
        "POST /api/v1/intents": [posted.status_code, posted.json()],
        "GET /api/org/{slug}/projects": [projects.status_code, projects.json()],
    }
    return Fixture(read_key, write_key, writes["products"]["checkout"], intent_id, slug, session, bodies)


def insert_projects(url: str, org_id: str, count: int, *, prefix: str = "project") -> None:
    script = """
import sys
from spec_server import clock, db
from handlers.backlex.store import Project
db.open_database(sys.argv[1])
now = clock.now_ms()
rows = [dict(org=sys.argv[2], slug=f"{sys.argv[4]}-{n}", live_slug=f"{sys.argv[4]}-{n}", name=f"{sys.argv[4]}-{n}",
             status="active", region="fra", created_at=now + n, updated_at=now + n) for n in range(int(sys.argv[3]))]
with db.database.connection_context(), db.database.atomic():
    for start in range(0, len(rows), 500):
        Project.insert_many(rows[start:start + 500]).execute()
"""
    subprocess.run([sys.executable, "-c", script, url, org_id, str(count), prefix], cwd=ROOT, check=True)


def pad_tables(url: str, intents: int, projects: int) -> None:
    """Fill the intent and project tables to the given totals with other tenants' rows."""
    script = """
import sys, uuid
from spec_server import clock, db
from handlers.pathmode.store import Intent, Workspace
from handlers.backlex.store import Org, Project
db.open_database(sys.argv[1])
want_intents, want_projects = int(sys.argv[2]), int(sys.argv[3])
now = clock.now_ms()
with db.database.connection_context(), db.database.atomic():
    missing = want_intents - Intent.select().count()
    per_workspace = 1000
    while missing > 0:
        ws = Workspace.create(name="padding", url_key=f"pad-{uuid.uuid4().hex[:10]}", plan="team", created_at=now)
        batch = min(missing, per_workspace)
        rows = [dict(id=str(uuid.uuid4()), workspace=ws.id, title=f"padding {n}", objective="padding",
                     outcomes=[{"id": str(uuid.uuid4()), "text": "padding"}], created_at=now - n,
                     updated_at=now - n) for n in range(batch)]
        for start in range(0, batch, 500):
            Intent.insert_many(rows[start:start + 500]).execute()
        missing -= batch
    missing = want_projects - Project.select().count()
    while missing > 0:
        org = Org.create(slug=f"pad-{uuid.uuid4().hex[:10]}", name="padding", created_at=now)
        batch = min(missing, 1000)
        rows = [dict(id=str(uuid.uuid4()), org=org.id, slug=f"p{n}", live_slug=f"p{n}", name=f"p{n}",
                     status="active", created_at=now - n, updated_at=now - n) for n in range(batch)]
        for start in range(0, batch, 500):
            Project.insert_many(rows[start:start + 500]).execute()
        missing -= batch
if db.is_postgres():
    db.database.execute_sql("ANALYZE")
"""
    subprocess.run([sys.executable, "-c", script, url, str(intents), str(projects)], cwd=ROOT, check=True)


ONLY: list[str] = []  # --only: operations to measure (substrings); all when empty


def requests(fixture: Fixture) -> dict[str, Request]:
    chosen = all_requests(fixture)
    return {k: v for k, v in chosen.items() if not ONLY or any(part in k for part in ONLY)}


def all_requests(fixture: Fixture) -> dict[str, Request]:
    read = {"Authorization": f"Bearer {fixture.read_key}"}
    return {
        "GET /api/v1/intents": Request("GET", "/api/v1/intents", read),
        "GET /api/v1/intents/{id}": Request("GET", f"/api/v1/intents/{fixture.intent_id}", read),
        "POST /api/v1/intents": Request("POST", "/api/v1/intents", {"Authorization": f"Bearer {fixture.write_key}"},
                                        intent_body(fixture.write_product, 1, for_prism=True)),
        "GET /api/org/{slug}/projects": Request("GET", f"/api/org/{fixture.org_slug}/projects",
                                                {"Cookie": f"better-auth.session_token={fixture.session}"}),
    }


# --------------------------------------------------------------------------------------------
# Prism: the upstream documents, our bodies as the examples


def with_examples(document: dict, bodies: dict, prefix: str = "") -> dict:
    if prefix:  # backlex's server is the relative "/api", which Prism does not apply
        document["paths"] = {prefix + path: item for path, item in document["paths"].items()}
        document.pop("servers", None)
    for key, (status, body) in bodies.items():
        method, _, route = key.partition(" ")
        operation = document["paths"].get(route, {}).get(method.lower())
        if operation is None or status >= 300:
            continue
        media = operation["responses"][str(status)]["content"]["application/json"]
        media.pop("examples", None)
        media["example"] = body
    return document


def prism_documents(bodies: dict, folder: Path) -> list[Path]:
    pathmode = json.loads((ROOT / "specs" / "pathmode.openapi.json").read_text())
    backlex = json.loads((ROOT / "specs" / "backlex.openapi.json").read_text())
    paths = []
    for name, document in (("pathmode", with_examples(pathmode, bodies)),
                           ("backlex", with_examples(backlex, bodies, "/api"))):
        path = folder / f"{name}.prism.json"
        path.write_text(json.dumps(document))
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------
# runs


def run_targets(args, folder: Path, stores: dict[str, str]) -> tuple[dict, dict]:
    results: dict[tuple, Measure] = {}
    rss: dict[str, list[float]] = {}
    fixture = None
    ours = []
    statements: dict[str, dict] = {}  # store -> operation -> its statements' cost (bench.budget)
    for store, url in stores.items():
        created = prepare_database(url, folder / store)
        postgresql = (lambda url=url: postgres_pids(url)) if store == "postgresql" else NO_DATABASE_PROCESSES
        targets = []
        try:
            for workers in args.workers:
                targets.append(start_ours(f"ours {store} {workers}w", url, workers, folder / f"{store}-{workers}.log"))
            store_fixture = fill(targets[0], created, url)
            fixture = fixture or store_fixture
            ours += [target.name for target in targets]

            def place(target: Target, store=store, url=url) -> None:
                if store == "postgresql" and not pin_postgres(url, "1" if target.workers == 1 else None):
                    print("could not pin PostgreSQL's processes: it shares CPU 0 with the worker", file=sys.stderr)

            for operation, request in requests(store_fixture).items():
                for connections in args.connections:
                    measured = measure_alternating(targets, request, connections, args, folder,
                                                   postgresql=postgresql, place=place)
                    for name, result in measured.items():
                        results[(name, operation, connections)] = result
                        say(name, operation, connections, result)
            rss.update({target.name: target.peak_rss() for target in targets})
        finally:
            for target in targets:
                target.stop()
        if store == "postgresql":  # placed as for the one-worker runs: the replay on CPU 0, PostgreSQL on 1
            pin_postgres(url, "1")
        statements[store] = statement_costs(url, store_fixture, folder / store)
        if store == "postgresql":
            pin_postgres(url, None)  # the growth table measures it as before: on every CPU
    # the references answer with the bodies our server answered
    bodies_file = folder / "bodies.json"
    bodies_file.write_text(json.dumps(fixture.bodies))
    port = free_port()
    references = [("ceiling", lambda port: [sys.executable, "-m", "uvicorn", "--factory", "bench.ceiling:create",
                                            "--port", str(port), "--log-level", "warning", "--no-access-log"],
                   "/api/v1/intents"),
                  ("floor", lambda port: [sys.executable, "-m", "bench.floor", "--port", str(port)], "/api/v1/intents")]
    if "prism" not in args.references:
        pass
    elif PRISM.exists():
        pathmode_doc, backlex_doc = prism_documents(fixture.bodies, folder)
        references.append(("prism", lambda port: [str(PRISM), "mock", str(pathmode_doc), "-p", str(port),
                                                  "-v", "error"], "/api/v1/intents"))
        references.append(("prism-backlex", lambda port: [str(PRISM), "mock", str(backlex_doc), "-p", str(port),
                                                          "-v", "error"], "/api/orgs"))
    else:
        print(f"Prism is not installed at {PRISM}: run bench/run.sh", file=sys.stderr)
    floor_env = {**SERVER_ENV, "BENCH_BODIES": str(bodies_file), "DATABASE_URL": f"sqlite:///{folder}/floor.sqlite3",
                 "JOBS_IN_PROCESS": "0"}
    for name, command, probe in references:
        if name.partition("-")[0] not in args.references:
            continue
        port = free_port()
        target = start(name, command(port), port=port, probe=probe, env=floor_env, cpus="0", log=folder / f"{name}.log")
        try:
            for operation, request in requests(fixture).items():
                backlex_op = operation.startswith(("GET /api/org", "POST /api/org"))
                if name.startswith("prism") and backlex_op != (name == "prism-backlex"):
                    continue
                label = "prism" if name.startswith("prism") else name
                for connections in args.connections:
                    results[(label, operation, connections)] = result = measure(
                        target, request, connections, args, folder)
                    say(label, operation, connections, result)
            rss[name] = target.peak_rss()
        finally:
            target.stop()
    return results, {"rss": rss, "ours": ours, "fixture": fixture, "statements": statements}


def statement_costs(url: str, fixture: Fixture, folder: Path) -> dict:
    """Each operation's SQL statements replayed on a bare driver (``bench.budget``), in a
    subprocess (this process binds no database) pinned where a one-worker server runs."""
    requests_file = folder / "requests.json"
    requests_file.write_text(json.dumps({op: asdict(request) for op, request in requests(fixture).items()}))
    command = [sys.executable, "-m", "bench.budget", "--database", url, "--requests", str(requests_file),
               "--env", json.dumps(SERVER_ENV)]
    if shutil.which("taskset"):  # on CPU 0, where a one-worker server runs
        command = ["taskset", "-c", "0", *command]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if output.returncode:
        print(f"bench.budget failed:\n{output.stderr[-2000:]}", file=sys.stderr)
        return {}
    return json.loads(output.stdout.strip().splitlines()[-1])


def start_ours(name: str, url: str, workers: int, log: Path) -> Target:
    """Our server; one worker runs on CPU 0 (wrk on CPU 1), two on every CPU."""
    port = free_port()
    return start(name, [sys.executable, "-m", "spec_server.cli", "serve", "--port", str(port),
                        "--workers", str(workers), "--database", url],
                 port=port, probe="/api/v1/intents", env=SERVER_ENV, cpus="0" if workers == 1 else None,
                 workers=workers, log=log)


def growth(args, folder: Path, stores: dict[str, str]) -> None:
    """The list operations with 1,000 and then 100,000 rows in their tables."""
    print("\n== Growth: list latency with 1,000 vs 100,000 rows in the table (1 worker, medians)")
    rows = []
    for store, url in stores.items():
        url = url if store != "sqlite" else f"sqlite:///{folder}/growth.sqlite3"
        if store == "postgresql":
            url = fresh_postgres_database(url, "bench_growth")
        created = prepare_database(url, folder / f"growth-{store}")
        port = free_port()
        target = start(f"growth {store}", [sys.executable, "-m", "spec_server.cli", "serve", "--port", str(port),
                                           "--workers", "1", "--database", url],
                       port=port, probe="/api/v1/intents", env=SERVER_ENV, cpus="0", log=folder / f"growth-{store}.log")
        try:
            fixture = fill(target, created, url)
            chosen = {k: v for k, v in requests(fixture).items() if k.startswith("GET") and "{id}" not in k}
            measured = {}
            for size in (1_000, 100_000):
                pad_tables(url, size, size)
                for operation, request in chosen.items():
                    for c in args.connections:
                        measured[(size, operation, c)] = measure(target, request, c, args, folder)
            for operation in chosen:
                for c in args.connections:
                    small, large = measured[(1_000, operation, c)], measured[(100_000, operation, c)]
                    rows.append([store, operation, c, f"{small.p50_ms:.2f}", f"{large.p50_ms:.2f}",
                                 f"{large.p50_ms / small.p50_ms:.2f}", f"{small.rps:.0f}", f"{large.rps:.0f}"])
        finally:
            target.stop()
    print(table(rows, ["store", "operation", "conn", "p50 1k", "p50 100k", "ratio", "req/s 1k", "req/s 100k"]))
    if rows:
        worst = max(float(row[5]) for row in rows)
        print(f"Goal: growth 1k -> 100k within 1.3 x (worst p50 ratio {worst:.2f}): {'yes' if worst <= 1.3 else 'NO'}")


@cache
def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server of ``url`` (None when its data directory is not readable here)."""
    import psycopg2

    with contextlib.closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = Path(cursor.fetchone()[0])
    try:
        return int((data_directory / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def postgres_pids(url: str) -> list[int]:
    """PostgreSQL's processes: the postmaster, its helpers and every backend."""
    postmaster = postmaster_pid(url)
    return [postmaster, *descendants(postmaster)] if postmaster else []


PINNED: dict[str, str | None] = {}  # url -> where its PostgreSQL runs now (backends forked later inherit it)


def pin_postgres(url: str, cpus: str | None) -> bool:
    """Run the PostgreSQL server of ``url`` (its postmaster and every process, including the
    backends it forks later) on ``cpus`` ("1"), or on every CPU (None). False when it cannot
    (no taskset, or its data directory is not readable here)."""
    if PINNED.get(url, "unpinned") == cpus:
        return True  # alternating rounds ask before each round: pin only on a change
    pids = postgres_pids(url)
    if not shutil.which("taskset") or not pids:
        return False
    PINNED[url] = cpus
    every_cpu = f"0-{CPUS - 1}"
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", cpus or every_cpu, str(pid)], capture_output=True, check=False)
    return True


def fresh_postgres_database(url: str, name: str) -> str:
    import psycopg2
    from psycopg2 import sql

    base, _, _ = url.rpartition("/")
    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    admin.cursor().execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.cursor().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return f"{base}/{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measurement (the median is shown)")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--only", nargs="+", default=[], help="operations to measure, e.g. 'GET /api/v1/intents'")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts of our server")
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--references", nargs="*", default=["ceiling", "floor", "prism"],
                        help="reference servers to measure (ceiling, floor, prism)")
    args = parser.parse_args(argv)
    ONLY[:] = args.only
    if not shutil.which("wrk"):
        print("wrk is not installed: run bench/run.sh (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="spec-server-bench-"))
    stores = {"sqlite": f"sqlite:///{folder}/bench.sqlite3"} if "sqlite" in args.stores else {}
    if "postgresql" not in args.stores:
        pass
    elif os.environ.get("PG_URL"):
        stores["postgresql"] = fresh_postgres_database(os.environ["PG_URL"], "bench_main")
    else:
        print("PG_URL is not set: PostgreSQL targets skipped (bench/run.sh starts one)", file=sys.stderr)
    for store in stores:
        (folder / store).mkdir()
        (folder / f"growth-{store}").mkdir()
    print(f"machine: {CPUS} CPUs, {platform_summary()}; work folder {folder}")
    print(f"wrk -t1, connections {args.connections}, warm-up {args.warmup}s, {args.repeat} x {args.duration}s")
    results, extra = run_targets(args, folder, stores)
    report(results, extra, args.connections)
    if not args.skip_growth:
        growth(args, folder, stores)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def platform_summary() -> str:
    import platform

    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "")
    return f"{model or platform.processor()}, Python {platform.python_version()}"


if __name__ == "__main__":
    raise SystemExit(main())

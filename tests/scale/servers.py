"""Real servers for the scale tests: ``spec-server serve --workers N`` in a subprocess, over a
fresh SQLite file or a fresh database on the PostgreSQL named by ``TEST_DATABASE_URL`` or
``PG_URL`` (``scripts/with-postgres.sh`` sets both)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

from tests.support import SEED, Tenants

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get("PG_URL") or ""


def pg_reachable() -> bool:
    if not PG_URL:
        return False
    import psycopg2

    try:
        psycopg2.connect(PG_URL, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


needs_postgres = pytest.mark.skipif(
    not pg_reachable(),
    reason="no PostgreSQL reachable: run through scripts/with-postgres.sh (or set TEST_DATABASE_URL)")


def _with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def fresh_postgres_database():
    """A brand-new database on the test server, dropped afterwards."""
    import psycopg2

    name = f"scale_{uuid.uuid4().hex[:12]}"

    def as_admin(statement: str) -> None:  # a connection of its own: the server may have restarted since
        admin = psycopg2.connect(_with_database(PG_URL, "postgres"))
        admin.autocommit = True
        try:
            admin.cursor().execute(statement)
        finally:
            admin.close()

    as_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(PG_URL, name)
    finally:
        as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_url(kind: str, tmp_path: Path):
    if kind == "postgresql":
        with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path}/scale.sqlite3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spec_server.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True, timeout=120, **kwargs)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    tenants: Tenants

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (children of the supervisor running our app)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        workers = []
        for pid in children:
            with contextlib.suppress(FileNotFoundError):
                if b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes() and \
                        b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.append(int(pid))
        return workers

    def kill(self) -> None:
        """SIGKILL the supervisor, then every worker: no process of the server finishes anything."""
        workers = self.worker_pids()
        self.process.kill()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        for pid in workers:
            while Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text():
                time.sleep(0.05)


def seed(url: str, tmp_path: Path, env: dict | None = None) -> Tenants:
    """The test tenants (tests/support.py ``SEED``) in the database at ``url``."""
    environment = {**os.environ, **(env or {})}
    environment.pop("TEST_DATABASE_URL", None)
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(SEED))
    return Tenants(json.loads(cli("seed", str(seed_file), "--database", url, env=environment).stdout))


@contextlib.contextmanager
def serving(url: str, tenants: Tenants, *, workers: int = 2, env: dict | None = None, tmp_path: Path):
    """``spec-server serve --workers N`` on ``url`` (already seeded) until the block ends."""
    environment = {**os.environ, **(env or {})}
    environment.pop("TEST_DATABASE_URL", None)
    port = free_port()
    log = open(tmp_path / f"server-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "spec_server.cli", "serve", "--port", str(port), "--workers", str(workers),
         "--database", url],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {(tmp_path / f'server-{port}.log').read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/v1/intents", timeout=2).status_code == 401:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 90 s")
            time.sleep(0.2)
        server = Server(base, process, tenants)
        # every worker has started (each answers the probe only after its own start-up)
        while len(server.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@contextlib.contextmanager
def running_server(url: str, *, workers: int = 2, env: dict | None = None, tmp_path: Path):
    """Seed ``url`` with the test tenants, serve it with ``workers`` workers, stop at the end."""
    with serving(url, seed(url, tmp_path, env), workers=workers, env=env, tmp_path=tmp_path) as server:
        yield server


def query(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """One SQL statement on the database at ``url``, committed; its rows (what a test reads
    or sets behind the API)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(url[len("sqlite:///"):], timeout=30)
        try:
            rows = connection.execute(statement.replace("%s", "?"), params).fetchall()
            connection.commit()
            return rows
        finally:
            connection.close()
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=5)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(statement, params or None)  # no parameters: a % is a %
            return cursor.fetchall() if cursor.description is not None else []
    finally:
        connection.close()

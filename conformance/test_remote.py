"""The suite over real HTTP: `spec-server serve` as a separate process on loopback, seeded
with the suite's seed file (`spec-server conformance --print-seed`), checked by `spec-server
conformance`; a credentials file that lacks what the suite needs is refused in one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).with_name("spec-server")
# the suite's request volume is far above the documented per-user hourly limits
UNLIMITED = "*=1000000000/3600"  # every bucket (README "Against a running deployment")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    database = f"sqlite:///{tmp_path}/remote.sqlite3"
    env = {**os.environ, "RATE_LIMITS": UNLIMITED, "VALIDATE_RESPONSES": "1"}
    process = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--database", database],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/api/v1/openapi.json", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("server did not start: " + process.stderr.read().decode()[-2000:])
    yield base_url, database, env
    process.terminate()
    process.wait(timeout=20)


def test_conformance_command_over_http(server, tmp_path):
    base_url, database, env = server
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(subprocess.run([str(BIN), "conformance", "--print-seed"], env=env, capture_output=True,
                                        text=True, check=True).stdout)
    seeded = subprocess.run([str(BIN), "seed", str(seed_file), "--database", database],
                            env=env, capture_output=True, text=True, check=True)
    credentials = tmp_path / "credentials.json"
    credentials.write_text(seeded.stdout)
    junit = tmp_path / "junit.xml"
    run = subprocess.run(
        [str(BIN), "conformance", "--api", "all", "--base-url", base_url, "--credentials", str(credentials),
         "--junit", str(junit), "--seed", "7", "--max-examples", "3", "--phases", "examples,fuzzing"],
        env=env, capture_output=True, text=True, timeout=600)
    print(run.stdout[-20000:])
    assert junit.exists() and "<testsuites" in junit.read_text()
    assert "operations x documented status codes observed" in run.stdout
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


def test_credentials_without_a_tenant_are_refused_in_one_line(tmp_path):
    """Another deployment's users (not the suite's seed): the command says what to seed, no traceback."""
    credentials = tmp_path / "credentials.json"
    credentials.write_text('{"backlex": {"users": {"someone@x.example": {"id": "u", "sessionToken": "t"}}}}')
    run = subprocess.run([str(BIN), "conformance", "--base-url", "http://127.0.0.1:9", "--credentials",
                          str(credentials)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert 'backlex: no user labelled "tenant": "a", "role": "owner": seed one' in run.stderr
    assert "pathmode: the credentials have no \"pathmode\" part" in run.stderr

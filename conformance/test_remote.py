"""The suite over real HTTP: `spec-server serve` as a separate process on loopback, seeded
with `spec-server seed conformance/seed.json`, checked by `spec-server conformance`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conformance.target import SEED_FILE

BIN = Path(sys.executable).with_name("spec-server")
# the suite's request volume is far above the documented per-user hourly limits
UNLIMITED = ",".join(f"{bucket}=1000000000/3600" for bucket in (
    "intents", "general", "apiKeysRead", "apiKeysWrite", "analyzeCodebase", "invitations", "invitationsPerUser",
    "orgCreation", "tokenMinting"))


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
    seeded = subprocess.run([str(BIN), "seed", str(SEED_FILE), "--database", database],
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

"""Helpers shared by the Pathmode part-2 tests (prompt, export, verify, analysis, review)."""

from __future__ import annotations

import copy
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import uvicorn

from handlers.pathmode.store import ConstitutionRule, Evidence, Intent, IntentEvidence, Product, Workspace
from spec_server import clock
from spec_server.db import database
from tests.support import SEED, Tenants, seed_tenants

STUB = {"title": "TBD", "objective": "todo", "outcomes": []}


def random_id() -> str:
    return str(uuid.uuid4())


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    return body


def update_workspace(tenants: Tenants, workspace: str = "ws-a", **fields) -> None:
    with database.connection_context():
        Workspace.update(**fields).where(Workspace.id == tenants.pm_workspace_id(workspace)).execute()


def update_product(product_id: str, **fields) -> None:
    with database.connection_context():
        Product.update(**fields).where(Product.id == product_id).execute()


def set_implementation_context(intent_id: str, context: dict) -> None:
    """Stands in for a finished analysis (the only writer of the column)."""
    with database.connection_context():
        Intent.update(implementation_context=context).where(Intent.id == intent_id).execute()


def add_rule(tenants: Tenants, text: str, *, enforcement="required", active=True, workspace="ws-a") -> None:
    with database.connection_context():
        ConstitutionRule.create(workspace=tenants.pm_workspace_id(workspace), category="test", text=text,
                                enforcement=enforcement, is_active=active, created_at=clock.now_ms())


def link_evidence(tenants: Tenants, intent_id: str, content: str, workspace="ws-a") -> None:
    with database.connection_context():
        now = clock.now_ms()
        evidence = Evidence.create(workspace=tenants.pm_workspace_id(workspace), type="quote", content=content,
                                   created_at=now, updated_at=now)
        IntentEvidence.create(intent=intent_id, evidence=evidence.id, created_at=now)


def git_repo(path: Path, files: dict[str, str]) -> Path:
    """A small real git repository (branch main) holding ``files``."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.email=t@example.com", "-c", "user.name=t",
                    "commit", "-qm", "initial"], check=True)
    return path


def analysis_tenants(repository: str | None, *, plan_a="pro", flag_a=True, repository_b: str | None = None) -> Tenants:
    """The standard tenants, workspace A (and B when ``repository_b``) bound for analysis."""
    seed = copy.deepcopy(SEED)
    ws_a, ws_b = seed["pathmode"]["workspaces"]
    ws_a.update(plan=plan_a, flags={"implementation_context_enabled": flag_a})
    if repository:
        ws_a["repository"] = repository
    ws_a["products"].append({"name": "Example", "slug": "example", "isExample": True})
    if repository_b:
        ws_b.update(plan="team", repository=repository_b, flags={"implementation_context_enabled": True})
    return seed_tenants(seed)


@pytest.fixture
def live_server(app, database):
    """The app on a real socket (the test client buffers whole bodies)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)

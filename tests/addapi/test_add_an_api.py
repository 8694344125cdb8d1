"""README "Add an API", step by step, on a copy of the project: a third document (the Inventory
API: ten operations with components/requestBodies, allOf, enums, an OAuth2 scheme with scopes
and an API key) is generated, scaffolded, served with 501s, then served with the handlers
written for it beside backlex and Pathmode, and fuzzed by the conformance suite with no failure.
Nothing in the shared code, the CLI or the suite is edited for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.workflow.project import Project

FIXTURE = Path(__file__).with_name("fixture")
DOCUMENT = FIXTURE / "specs" / "inventory.openapi.json"
HANDLERS = FIXTURE / "handlers" / "inventory"
UNLIMITED = "*=1000000000/3600"


def documented_operations() -> list[tuple[str, str]]:
    document = json.loads(DOCUMENT.read_text())
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method != "parameters"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    copy = Project.copy_of_repo(tmp_path_factory.mktemp("copy"))
    shutil.copy2(DOCUMENT, copy.root / "specs" / DOCUMENT.name)  # step 1: the document goes into specs/
    return copy


def test_a_third_api_from_document_to_conformance(project, tmp_path):
    operations = documented_operations()

    # step 2: codegen generates it and says what is missing
    generated = project.run("codegen")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (project.root / "generated" / "inventory" / "operations.py").exists()
    assert f"handlers/inventory/: {len(operations)} operations of specs/inventory.openapi.json have no handlers" \
        in generated.stdout
    assert project.run("codegen", "--check").returncode == 1

    # step 3: the scaffold: a handler per operation answering 501, the API's skeleton; --check passes
    scaffolded = project.run("codegen", "--scaffold")
    assert scaffolded.returncode == 0, scaffolded.stdout + scaffolded.stderr
    assert scaffolded.stdout.count("answers 501 until written") == len(operations)
    assert "handlers/inventory/_api.py: created" in scaffolded.stdout
    checked = project.run("codegen", "--check")
    assert checked.returncode == 0, checked.stdout

    # step 4: it serves beside the others, every operation 501, listed so by the suite
    database = f"sqlite:///{tmp_path}/scaffolded.sqlite3"
    with project.server(database, RATE_LIMITS=UNLIMITED) as server:
        answer = httpx.get(server.url + "/inventory/health")
        assert answer.status_code == 501
        assert answer.json() == {"error": {"code": "NOT_IMPLEMENTED",
                                           "message": "GET /inventory/health is not implemented yet"}}
        assert httpx.get(server.url + "/api/v1/workspace").status_code == 401  # Pathmode still there
        credentials = tmp_path / "placeholder.json"
        credentials.write_text(json.dumps({"inventory": {"auth": {"oauth": "x", "apiKey": "y"}}}))
        listed = project.run("conformance", "--api", "inventory", "--base-url", server.url,
                             "--credentials", str(credentials), "--max-examples", "2", "--phases", "fuzzing",
                             CONFORMANCE_ALLOW_501="1", timeout=600)
        assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-2000:]
        assert f"operations answering 501 ({len(operations)})" in listed.stdout

    # step 5: the handlers are written (here: the test's own), --check passes
    shutil.copytree(HANDLERS, project.root / "handlers" / "inventory", dirs_exist_ok=True)
    checked = project.run("codegen", "--check")
    assert checked.returncode == 0, checked.stdout

    # step 6: seed it, fuzz it: no failure, no 501
    database = f"sqlite:///{tmp_path}/served.sqlite3"
    seeded = project.run("seed", _seed_file(project, tmp_path), "--database", database)
    assert seeded.returncode == 0, seeded.stderr
    credentials = tmp_path / "credentials.json"
    credentials.write_text(seeded.stdout)
    assert set(json.loads(seeded.stdout)["inventory"]["auth"]) == {"oauth", "apiKey"}
    with project.server(database, RATE_LIMITS=UNLIMITED, VALIDATE_RESPONSES="1") as server:
        fuzzed = project.run("conformance", "--api", "inventory", "--base-url", server.url,
                             "--credentials", str(credentials), "--max-examples", "10", timeout=900)
    print(fuzzed.stdout[-6000:])
    assert fuzzed.returncode == 0, fuzzed.stdout[-6000:] + fuzzed.stderr[-2000:]
    assert "conformance: passed (0 failures)" in fuzzed.stdout
    assert "operations answering 501" not in fuzzed.stdout


def _seed_file(project: Project, tmp_path: Path) -> str:
    """The suite's seed file, which now has the Inventory API's part too (its plugin's)."""
    printed = project.run("conformance", "--print-seed")
    assert printed.returncode == 0, printed.stderr
    seed = json.loads(printed.stdout)
    assert set(seed) == {"backlex", "pathmode", "inventory"}
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    return str(path)

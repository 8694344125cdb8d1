"""The generated models have a consumer: a response field's change fails at the line that builds it.

``generated/<api>/models.py`` holds one ``TypedDict`` (or alias) per documented success body
and the API's ``ErrorBody``; views and handlers are annotated with them and mypy runs inside
``spec-server codegen`` and ``--check`` (``codegen.typecheck``). The end-to-end tests work on a
copy of the project, run in a subprocess with the copy first on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import check, typecheck
from codegen.bodies import ERROR_BODY, parse_bodies
from codegen.document import operations
from codegen.parser import parse
from codegen.render import ROOT, api_configs

PROJECT_PARTS = ("specs", "codegen", "generated", "handlers", "spec_server")
needs_mypy = pytest.mark.skipif(typecheck.skipped() is not None, reason="mypy is not installed")


def _copy_project(tmp_path: Path) -> Path:
    for part in PROJECT_PARTS:
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if (ROOT / ".mypy_cache").is_dir():  # only faster: mypy re-checks every file whose hash differs
        shutil.copytree(ROOT / ".mypy_cache", tmp_path / ".mypy_cache")
    return tmp_path


def _codegen(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "spec_server.cli", "codegen", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)


def _edit_document(root: Path, api: str, change) -> None:
    path = root / "specs" / f"{api}.openapi.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False))


def _line_of(root: Path, relative: str, text: str) -> str:
    """``file:line`` of the one line of ``relative`` that contains ``text``."""
    lines = (root / relative).read_text().splitlines()
    [number] = [index for index, line in enumerate(lines, start=1) if text in line]
    return f"{relative}:{number}"


def _error_schemas(document: dict):
    """Every error answer's inline JSON schema that has an ``error`` property (Pathmode's)."""
    for _path, _method, _item, operation in operations(document):
        for code, response in operation.get("responses", {}).items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if code[0] in "45" and "error" in schema.get("properties", {}):
                yield schema


@needs_mypy
def test_the_unchanged_project_passes_its_type_check(tmp_path):
    root = _copy_project(tmp_path)
    result = _codegen(root, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "generated/ is current and every handler fits" in result.stdout


@needs_mypy
def test_changed_response_fields_fail_at_the_lines_that_build_them(tmp_path):
    root = _copy_project(tmp_path)

    def backlex(document):
        org = document["components"]["schemas"]["Org"]["properties"]
        org["residency"]["type"] = "integer"  # string → integer
        del org["webhookUrl"]["nullable"]  # nullable → not nullable

    def pathmode(document):
        for schema in _error_schemas(document):  # upstream's error body, inline in every answer
            schema["properties"]["error"]["type"] = "integer"

    _edit_document(root, "backlex", backlex)
    _edit_document(root, "pathmode", pathmode)
    expected = [
        (_line_of(root, "handlers/backlex/_views.py", '"residency": org.residency'),
         'expression has type "str", TypedDict item "residency" has type "int"'),
        (_line_of(root, "handlers/backlex/_views.py", '"webhookUrl": org.webhook_url'),
         'expression has type "str | None", TypedDict item "webhookUrl" has type "str"'),
        (_line_of(root, "handlers/pathmode/_api.py", 'body: models.ErrorBody = {"error": error.message}'),
         'expression has type "str", TypedDict item "error" has type "int"'),
    ]

    written = _codegen(root)
    assert written.returncode == 0, written.stdout + written.stderr
    findings = written.stdout.split("code to change", 1)[1].splitlines()
    for where, message in expected:
        assert any(line.strip().startswith(f"{where}: ") and message in line for line in findings), \
            (where, written.stdout)

    checked = _codegen(root, "--check")
    assert checked.returncode == 1
    for where, message in expected:
        assert any(line.startswith(f"{where}: ") and message in line for line in checked.stdout.splitlines()), \
            (where, checked.stdout)


def test_every_documented_success_body_has_a_generated_type_and_a_handler_typed_with_it():
    """Counted from each runtime document: every 2xx JSON body of every operation."""
    for config in api_configs():
        spec = parse(config)
        documented = [
            (method.upper(), spec.mount + path, int(code))
            for path, method, _item, operation in operations(spec.document)
            for code, response in operation.get("responses", {}).items()
            if code.startswith("2") and "application/json" in (response.get("content") or {})
        ]
        assert sorted((*b.operation.split(" "), b.status) for b in spec.bodies.success) == sorted(documented)
        models = importlib.import_module(f"generated.{config.name}.models")
        handlers = {f"{op.method} {op.public_path}": op for op in spec.operations}
        for body in spec.bodies.success:
            assert hasattr(models, body.type_name), body.type_name
            operation = handlers[body.operation]
            module = importlib.import_module(operation.handler_module)
            function = inspect.unwrap(getattr(module, operation.handler_function))
            assert f"models.{body.type_name}" in str(function.__annotations__.get("return")), operation.handler


def test_error_body_is_the_shape_of_every_error_answer():
    for config in api_configs():
        spec = parse(config)
        answers = sum(1 for _path, _method, _item, operation in operations(spec.document)
                      for code, response in operation.get("responses", {}).items()
                      if code[0] in "45" and "application/json" in (response.get("content") or {}))
        [shape] = spec.bodies.errors  # one shape: the envelope can build it
        assert len(shape.answers) == answers
        assert check.error_shape_findings(spec) == []
        assert hasattr(importlib.import_module(f"generated.{config.name}.models"), ERROR_BODY)


def test_an_error_answer_of_another_shape_is_a_finding_at_the_envelope(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    _edit_document(tmp_path, "pathmode", lambda document: next(_error_schemas(document))
                   ["properties"]["error"].update(type="integer"))
    [config] = [c for c in api_configs(tmp_path) if c.name == "pathmode"]
    spec = parse(config)
    total = sum(len(shape.answers) for shape in spec.bodies.errors)
    [finding] = check.error_shape_findings(spec)
    assert finding.startswith("handlers/pathmode/_api.py: envelope: 1 error answers of specs/pathmode.openapi.json")
    assert f"the shape of the {total - 1} others" in finding


def test_an_object_body_that_declares_nothing_is_an_open_map():
    document = {"paths": {"/things": {"get": {"responses": {
        "200": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "404": {"content": {"application/json": {"schema": {"type": "object"}}}}}}}}}

    class Row:
        operation_id, method, path, public_path = "get_things", "GET", "/things", "/things"

    bodies = parse_bodies(document, [Row()])
    [body] = bodies.success
    assert body.type_name == "GetThingsResponse200"
    assert json.loads(body.schema) == {"type": "object", "additionalProperties": {}}
    assert json.loads(bodies.errors[0].schema) == {"type": "object"}  # errors are the envelope's


def _components_referenced(document: dict, roots: list) -> set[str]:
    components, found, pending = document.get("components", {}).get("schemas", {}), set(), list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            name = str(node.get("$ref", "")).removeprefix("#/components/schemas/")
            if name in components and name not in found:
                found.add(name)
                pending.append(components[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def test_a_component_only_requests_use_gets_no_model():
    """Models that nothing consumes are not generated: request bodies are connexion's to validate."""
    for config in api_configs():
        spec = parse(config)
        models = importlib.import_module(f"generated.{config.name}.models")
        every = [op for _path, _method, _item, op in operations(spec.document)]
        answered = _components_referenced(spec.document, [op.get("responses", {}) for op in every])
        requested = _components_referenced(spec.document, [op.get("requestBody", {}) for op in every])
        assert all(hasattr(models, name) for name in answered)
        assert not any(hasattr(models, name) for name in requested - answered)

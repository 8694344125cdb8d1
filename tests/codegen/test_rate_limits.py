"""One bucket, one number: ``x-rateLimit`` rules of one document that name the same bucket
with different limits are a codegen error naming both operations and both values
(codegen/parser.py, ``bucket_conflicts``)."""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter
from pathlib import Path

from codegen import cli
from codegen.document import operations
from codegen.parser import parse, parse_rate_limit
from codegen.render import ROOT, api_configs

PATHMODE = next(c for c in api_configs() if c.name == "pathmode")


def project_with(tmp_path: Path, api: str, document: dict) -> Path:
    """A copy of the project's specs with ``api``'s document replaced."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    (tmp_path / "specs" / f"{api}.openapi.json").write_text(json.dumps(document))
    return tmp_path


def shared_bucket(document: dict) -> tuple[str, list[tuple[str, dict]]]:
    """A bucket the document states on more than one operation, with those operations."""
    stated = [(f"{method.upper()} {path}", op) for path, method, _, op in operations(document)
              if parse_rate_limit(op.get("x-rateLimit")) is not None]
    counts = Counter(parse_rate_limit(op["x-rateLimit"]).bucket for _, op in stated)
    bucket = next(name for name, count in counts.items() if count > 1)
    return bucket, [(where, op) for where, op in stated if parse_rate_limit(op["x-rateLimit"]).bucket == bucket]


def errors_of(root: Path) -> list[str]:
    config = next(c for c in api_configs(root) if c.name == "pathmode")
    return [p.message for p in parse(config).problems if p.level == "error"]


def test_the_documents_give_each_bucket_one_number():
    for config in api_configs():
        assert not [p for p in parse(config).problems if "x-rateLimit bucket" in p.message]


def test_a_bucket_stated_with_another_number_is_one_error_naming_every_operation_and_value(tmp_path):
    document = json.loads(PATHMODE.spec.read_text())
    bucket, stating = shared_bucket(document)
    changed = stating[-1][1]
    original = changed["x-rateLimit"]
    rule = parse_rate_limit(original)
    changed["x-rateLimit"] = original.replace(f" {rule.requests}/", f" {rule.requests + 1}/", 1)
    errors = [e for e in errors_of(project_with(tmp_path, "pathmode", document)) if bucket in e]
    assert len(errors) == 1
    for named in (*(where for where, _ in stating), repr(original), repr(changed["x-rateLimit"])):
        assert named in errors[0]


def test_a_bucket_counted_per_something_else_is_an_error_too(tmp_path):
    document = json.loads(PATHMODE.spec.read_text())
    bucket, (_, (second, changed), *_) = shared_bucket(document)
    changed["x-rateLimit"] += " (per workspace)"
    assert [e for e in errors_of(project_with(tmp_path, "pathmode", document)) if bucket in e and second in e]


def test_codegen_prints_the_ambiguity_and_exits_2(tmp_path):
    document = json.loads(PATHMODE.spec.read_text())
    bucket, (_, (_, changed), *_) = shared_bucket(document)
    rule = parse_rate_limit(changed["x-rateLimit"])
    changed["x-rateLimit"] = f"{bucket} {rule.requests * 2}/{rule.window_seconds}s"
    out = io.StringIO()
    assert cli.run(check=True, root=project_with(tmp_path, "pathmode", document), out=out) == 2
    assert f"error: pathmode: x-rateLimit bucket {bucket} is ambiguous" in out.getvalue()

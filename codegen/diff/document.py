"""``compare(old, new)``: two whole OpenAPI documents → every change, sorted."""

from __future__ import annotations

import json

from codegen.diff import security
from codegen.diff.extensions import compare_extensions
from codegen.diff.model import Change, Findings
from codegen.diff.operations import METHODS, compare_paths
from codegen.diff.rules import GLOBAL_PREFIX

# Top-level keys compared by meaning; any other that changes is keyword-changed. `components`
# is reached through every `$ref` that uses it (a change to an unused component is silent).
DOCUMENT_KEYS = frozenset({"openapi", "info", "servers", "paths", "components", "security", "tags"})


def compare(old: dict, new: dict) -> list[Change]:
    """Every change from ``old`` to ``new`` (OpenAPI 3.0 or 3.1), in a stable order."""
    findings = Findings()
    _document(old, new, findings)
    security.compare_requirements(old.get("security"), new.get("security"), findings, None, prefix=GLOBAL_PREFIX)
    security.compare_schemes(old, new, findings)
    compare_paths(old, new, findings)
    return sorted(findings.changes, key=sort_key)


def _document(old: dict, new: dict, findings: Findings) -> None:
    if old.get("openapi") != new.get("openapi"):
        findings.add("openapi-version-changed", None, "openapi", old.get("openapi"), new.get("openapi"))
    before, after = old.get("info") or {}, new.get("info") or {}
    for key in sorted({*before, *after}):
        if key.startswith("x-") or before.get(key) == after.get(key):
            continue
        change_id = {"version": "api-version-changed", "title": "description-changed",
                     "summary": "description-changed", "description": "description-changed"}.get(key, "api-info-changed")
        findings.add(change_id, None, f"info.{key}", before.get(key), after.get(key))
    compare_extensions(before, after, findings, None, "info")
    if old.get("servers") != new.get("servers"):
        findings.add("servers-changed", None, "servers", old.get("servers"), new.get("servers"))
    if old.get("tags") != new.get("tags"):
        findings.add("tags-changed", None, "tags", old.get("tags"), new.get("tags"))
    compare_extensions(old, new, findings, None, "")
    for key in sorted({*old, *new} - DOCUMENT_KEYS):
        if not key.startswith("x-") and old.get(key) != new.get(key):
            findings.add("keyword-changed", None, key, old.get(key), new.get(key))


def sort_key(change: Change) -> tuple:
    """Document-level first, then by path and method, then location and id."""
    if change.operation is None:
        group: tuple = (0, "", 0)
    else:
        method, _, path = change.operation.partition(" ")
        rank = METHODS.index(method.lower()) if method.lower() in METHODS else len(METHODS)
        group = (1, path, rank)
    return (*group, change.location, change.id, _dump(change.old), _dump(change.new))


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


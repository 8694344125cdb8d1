"""The runtime documents mean what the upstream documents mean.

Every constraint of each upstream document (type, nullable, enum, bounds, format, required
lists, examples, descriptions, ...) is collected with its location and must be present in the
generated runtime document, except where an overlay action deliberately removed it (each such
action cites the spec text that justifies it; see docs/behaviour.md).
"""

from __future__ import annotations

import json

import pytest

from codegen.overlay import parse_target
from codegen.render import ROOT, api_configs

CONSTRAINT_KEYWORDS = {
    "type", "nullable", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "format", "required", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "default", "example", "examples",
    "description", "summary", "in", "name", "deprecated", "allOf", "anyOf", "oneOf", "$ref",
    "multipleOf", "readOnly", "writeOnly", "scheme", "bearerFormat",
}


def constraints(node, pointer=()):
    """Every (location, keyword, value) of a document; values of containers are JSON text."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONSTRAINT_KEYWORDS and not isinstance(value, (dict, list)):
                found.add((pointer, key, json.dumps(value, sort_keys=True)))
            elif key in CONSTRAINT_KEYWORDS and key in ("enum", "required", "example", "examples"):
                found.add((pointer, key, json.dumps(value, sort_keys=True)))
            found |= constraints(value, (*pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found |= constraints(value, (*pointer, index))
    return found


def upstream_pointer(pointer, mount_shift: str):
    """Map a runtime location back to the upstream one (Pathmode's /api/v1 prefix)."""
    if mount_shift and len(pointer) > 1 and pointer[0] == "paths":
        return ("paths", mount_shift + pointer[1], *pointer[2:])
    return pointer


def overlay_changes(config) -> tuple[list[tuple], set[tuple]]:
    """Locations an overlay removed, and (location, keyword) pairs an overlay update set."""
    removed, updated = [], set()

    def walk(update, pointer):
        for key, value in update.items():
            updated.add((pointer, key))
            if isinstance(value, dict):
                walk(value, (*pointer, key))

    for path in config.overlays:
        if path.exists():
            for action in json.loads(path.read_text())["actions"]:
                target = tuple(parse_target(action["target"]))
                if action.get("remove"):
                    removed.append(target)
                elif isinstance(action.get("update"), dict):
                    walk(action["update"], target)
    return removed, updated


def dropped(config, runtime: dict) -> list:
    upstream = json.loads(config.spec.read_text())
    shift = "/api/v1" if config.name == "pathmode" else ""
    runtime_constraints = {
        (upstream_pointer(pointer, shift), key, value) for pointer, key, value in constraints(runtime)
    }
    removed, updated = overlay_changes(config)
    missing = sorted(
        (pointer, key, value)
        for pointer, key, value in constraints(upstream) - runtime_constraints
        if not any(pointer[: len(target)] == target for target in removed)
        and (pointer, key) not in updated
        and pointer[:1] != ("servers",)  # the mount moves into servers (README)
    )
    return missing


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_no_upstream_constraint_is_dropped(config):
    runtime = json.loads((ROOT / "generated" / config.name / "openapi.json").read_text())
    missing = dropped(config, runtime)
    assert missing == [], f"{len(missing)} upstream constraints are missing, e.g. {missing[:5]}"


def test_the_comparison_notices_a_dropped_constraint():
    config = api_configs()[0]
    runtime = json.loads((ROOT / "generated" / config.name / "openapi.json").read_text())
    del runtime["components"]["schemas"]["Org"]["properties"]["webhookUrl"]["nullable"]
    del runtime["components"]["schemas"]["CreateOrgInput"]["properties"]["name"]["maxLength"]
    assert {(p[-1], k) for p, k, _ in dropped(config, runtime)} == {("webhookUrl", "nullable"), ("name", "maxLength")}


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_runtime_document_is_openapi_3_0_and_names_its_sources(config):
    text = (ROOT / "generated" / config.name / "openapi.json").read_text()
    first_line = text.splitlines()[0]
    assert config.spec.name in first_line and "codegen" in first_line
    document = json.loads(text)
    assert document["openapi"] == "3.0.3"
    operation_ids = [op["operationId"] for item in document["paths"].values()
                     for method, op in item.items() if method != "parameters"]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_removal_is_followed_by_a_cited_replacement():
    """A removal is a type correction: the overlay puts a replacement back and says why."""
    for config in api_configs():
        if not config.overlays[0].exists():
            continue
        actions = json.loads(config.overlays[0].read_text())["actions"]
        for index, action in enumerate(actions):
            assert action.get("description"), f"{config.name} action {index} cites nothing"
            if action.get("remove"):
                target = parse_target(action["target"])
                follow = actions[index + 1]
                assert parse_target(follow["target"]) == target[:-1] and target[-1] in follow["update"]

"""The runtime documents mean what the upstream documents mean.

Every constraint of each upstream document (type, nullable, enum, bounds, format, required
lists, examples, descriptions, ...) is collected with its location and must be present in the
generated runtime document, except where an overlay action deliberately removed it (each such
action cites the spec text that justifies it; see docs/behaviour.md). Beside the constraints,
what decides who may call what must be the same on both sides: every operation's effective
security requirement, the global ``security``, the security schemes, every ``x-*`` extension
(Pathmode's ``x-scope``, ``x-auth``, ``x-rateLimit``) and the operationIds a document states.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field

import pytest

from codegen.document import operations
from codegen.overlay import OverlayError, apply_overlay, parse_target, resolve
from codegen.parser import ApiConfig, parse, to_runtime_document
from codegen.parser import _server_path as server_path
from codegen.render import ROOT, api_configs

CONSTRAINT_KEYWORDS = {
    "type", "nullable", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "format", "required", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "default", "example", "examples",
    "description", "summary", "in", "name", "deprecated", "allOf", "anyOf", "oneOf", "$ref",
    "multipleOf", "readOnly", "writeOnly", "scheme", "bearerFormat",
}
PROVENANCE = ((), "x-generated-from")  # codegen's own first line of every runtime document


def constraints(node, pointer=()):
    """Every (location, keyword, value) of a document; values of containers are JSON text.
    What OpenAPI 3.1 and 3.0 spell two ways is read in one spelling (``canonical``, ``facts``)."""
    found = set()
    if isinstance(node, dict):
        node = canonical(node)
        found |= facts(node, pointer)
        for key, value in node.items():
            found |= constraints(value, (*pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found |= constraints(value, (*pointer, index))
    return found


def text(value) -> str:
    return json.dumps(value, sort_keys=True)


def facts(node: dict, pointer) -> set[tuple]:
    """The constraints a node states itself. One fact per meaning: ``type: [X, "null"]`` is
    type X and nullable (no nullable when an enum leaves null out: 3.1 checks the enum by
    itself); ``const: v`` is ``enum: [v]``; a list of ``examples`` is its first as ``example``
    (an ``example`` beside it wins); a bound is its strictest (value, exclusive) pair, whether
    3.1 spells it ``exclusiveMinimum: n`` or 3.0 ``minimum: n, exclusiveMinimum: true``."""
    found = set()
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            found |= {(pointer, "type", text(name)) for name in value if name != "null"}
            if "null" in value and ("enum" not in node or None in node["enum"]):
                found.add((pointer, "nullable", "true"))
        elif key == "const":
            found.add((pointer, "enum", text([value])))
        elif key == "examples" and isinstance(value, list):
            if value and "example" not in node:
                found.add((pointer, "example", text(value[0])))
        elif key in BOUND_KEYWORDS:
            continue
        elif key in CONSTRAINT_KEYWORDS and not isinstance(value, (dict, list)):
            found.add((pointer, key, text(value)))
        elif key in CONSTRAINT_KEYWORDS and key in ("enum", "required", "example", "examples"):
            found.add((pointer, key, text(value)))
    return found | bounds(node, pointer)


BOUND_KEYWORDS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


def bounds(node: dict, pointer) -> set[tuple]:
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    found = set()
    for inclusive, exclusive, strictest in (("minimum", "exclusiveMinimum", lambda c: max(c)),
                                            ("maximum", "exclusiveMaximum", lambda c: min(c, key=lambda b: (b[0], not b[1])))):
        candidates = []
        if number(node.get(inclusive)):
            candidates.append((node[inclusive], node.get(exclusive) is True))
        if number(node.get(exclusive)):
            candidates.append((node[exclusive], True))
        if candidates:
            found.add((pointer, inclusive, text(list(strictest(candidates)))))
    return found


# keywords that constrain values of one JSON type only (JSON Schema), for reading a type split
KEYWORDS_OF_TYPE = {
    "string": {"minLength", "maxLength", "pattern"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "array": {"items", "minItems", "maxItems", "uniqueItems"},
    "object": {"properties", "additionalProperties", "required", "minProperties", "maxProperties"},
}


def canonical(node: dict) -> dict:
    """A ``$ref`` with siblings (3.1) is ``allOf: [{$ref}]`` beside them (3.0); an ``anyOf``
    whose branches are each one type with only that type's keywords (and ``nullable``) is one
    schema with the list of those types (null among them when a branch is nullable) and
    their keywords, also when that anyOf is an allOf item of its own."""
    if "$ref" in node and len(node) > 1:
        siblings = {key: value for key, value in node.items() if key not in ("$ref", "allOf")}
        node = {"allOf": [{"$ref": node["$ref"]}, *node.get("allOf", [])], **siblings}
    if "type" in node:
        return node
    if _type_split(node.get("anyOf")):
        return _folded({key: value for key, value in node.items() if key != "anyOf"}, node["anyOf"]) or node
    items = node.get("allOf") if isinstance(node.get("allOf"), list) else []
    for index, item in enumerate(items):
        if isinstance(item, dict) and set(item) == {"anyOf"} and _type_split(item["anyOf"]):
            rest = {key: value for key, value in node.items() if key != "allOf"}
            if len(items) > 1:
                rest["allOf"] = items[:index] + items[index + 1:]
            return _folded(rest, item["anyOf"]) or node
    return node


def _type_split(branches) -> bool:
    if not isinstance(branches, list) or len(branches) < 2:
        return False
    names = [branch.get("type") if isinstance(branch, dict) else None for branch in branches]
    return len(set(names)) == len(names) and all(
        name in KEYWORDS_OF_TYPE and set(branch) <= {"type", "nullable", *KEYWORDS_OF_TYPE[name]}
        for name, branch in zip(names, branches, strict=True))


def _folded(node: dict, branches: list) -> dict | None:
    merged = dict(node, type=[b["type"] for b in branches] + (["null"] if any(b.get("nullable") for b in branches) else []))
    for branch in branches:
        for key, value in branch.items():
            if key in ("type", "nullable"):
                continue
            if key in merged and merged[key] != value:
                return None  # the branches disagree: no one schema says it
            merged[key] = value
    return merged


def mount_shift(config) -> str:
    """The prefix the runtime document moves from the paths into servers (Pathmode's /api/v1; README)."""
    upstream = json.loads(config.spec.read_text())
    return parse(config).mount[len(server_path(upstream)):]


def upstream_pointer(pointer, mount_shift: str):
    """Map a runtime location back to the upstream one (Pathmode's /api/v1 prefix)."""
    if mount_shift and len(pointer) > 1 and pointer[0] == "paths":
        return ("paths", mount_shift + pointer[1], *pointer[2:])
    return pointer


@dataclass
class OverlayTouch:
    """Where the overlays changed the document on purpose, in upstream locations."""

    removed: list[tuple] = field(default_factory=list)  # locations an action removed
    updated: set[tuple] = field(default_factory=set)  # (location, key) an update set
    replaced: set[tuple] = field(default_factory=set)  # locations written whole: new, non-object or appended

    def removes(self, pointer: tuple) -> bool:
        return any(pointer[: len(target)] == target for target in self.removed)

    def sets(self, pointer: tuple, key) -> bool:
        """Whether an overlay set this key, or wrote or removed what holds it."""
        location = (*pointer, key)
        return ((pointer, key) in self.updated or self.removes(location)
                or any(location[:length] in self.replaced for length in range(1, len(location) + 1)))


def overlay_changes(config) -> OverlayTouch:
    """Every action's matches, resolved on the document as the actions before it left it."""
    touch = OverlayTouch()
    document = json.loads(config.spec.read_text())

    def walk(update: dict, node, pointer):
        for key, value in update.items():
            touch.updated.add((pointer, key))
            below = node.get(key) if isinstance(node, dict) else None
            if isinstance(value, dict) and isinstance(below, dict):
                walk(value, below, (*pointer, key))
            else:
                touch.replaced.add((*pointer, key))

    for path in config.overlays:
        if not path.exists():
            continue
        for action in json.loads(path.read_text())["actions"]:
            for pointer in resolve(document, action["target"]):
                node = document
                for key in pointer:
                    node = node[key]
                if action.get("remove"):
                    touch.removed.append(pointer)
                elif isinstance(node, list):
                    touch.replaced.add((*pointer, len(node)))
                elif isinstance(action.get("update"), dict):
                    walk(action["update"], node, pointer)
            document = apply_overlay(document, {"actions": [action]})
    return touch


def dropped(config, runtime: dict) -> list:
    upstream = json.loads(config.spec.read_text())
    shift = mount_shift(config)
    runtime_constraints = {
        (upstream_pointer(pointer, shift), key, value) for pointer, key, value in constraints(runtime)
    }
    touch = overlay_changes(config)
    missing = sorted(
        (pointer, key, value)
        for pointer, key, value in constraints(upstream) - runtime_constraints
        if not touch.removes(pointer)
        and (pointer, key) not in touch.updated
        and pointer[:1] != ("servers",)  # the mount moves into servers (README)
    )
    return missing


def extensions(node, pointer=()) -> set[tuple]:
    """Every (location, x-key, value as JSON text) of a document."""
    found = set()
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(key, str) and key.startswith("x-"):
            found.add((pointer, key, json.dumps(value, sort_keys=True)))
        else:
            found |= extensions(value, (*pointer, key))
    return found


def access(document: dict, shift: str = "") -> set[tuple]:
    """(location, key, value) of what decides access: effective security per operation, the
    global security, every field of every security scheme, and the stated operationIds."""
    def text(value):
        return json.dumps(value, sort_keys=True)

    found = {((), "security", text(document["security"]))} if "security" in document else set()
    global_security = document.get("security", [])
    for path, method, _, op in operations(document):
        pointer = ("paths", shift + path, method)
        found.add((pointer, "effective security", text(op.get("security", global_security))))
        if "operationId" in op:
            found.add((pointer, "operationId", text(op["operationId"])))
    for name, scheme in document.get("components", {}).get("securitySchemes", {}).items():
        for key, value in scheme.items():
            found.add((("components", "securitySchemes", name), key, text(value)))
    return found


@dataclass(frozen=True)
class Finding:
    location: tuple
    key: str
    upstream: str | None  # JSON text; None: absent
    runtime: str | None


def meaning_changes(config, runtime: dict) -> list[Finding]:
    """Access rules and extensions that differ between upstream and runtime, not by an overlay."""
    upstream = json.loads(config.spec.read_text())
    shift = mount_shift(config)
    touch = overlay_changes(config)
    before = access(upstream) | extensions(upstream)
    after = access(runtime, shift) | {
        (upstream_pointer(pointer, shift), key, value)
        for pointer, key, value in extensions(runtime) if (pointer, key) != PROVENANCE
    }
    # Where upstream states no operationId, codegen derives one (backlex, README): nothing to keep.
    stated = {pointer for pointer, key, _ in before if key == "operationId"}
    after = {entry for entry in after if entry[1] != "operationId" or entry[0] in stated}

    def deliberate(pointer, key) -> bool:
        if key == "effective security":  # an overlay on the operation's or on the global security
            return touch.sets(pointer, "security") or touch.sets((), "security")
        return touch.sets(pointer, key)

    differing = {(pointer, key) for pointer, key, _ in before ^ after if not deliberate(pointer, key)}
    old = {(pointer, key): value for pointer, key, value in before}
    new = {(pointer, key): value for pointer, key, value in after}
    return [Finding(p, k, old.get((p, k)), new.get((p, k))) for p, k in sorted(differing, key=repr)]


def runtime_of(config) -> dict:
    return json.loads((ROOT / "generated" / config.name / "openapi.json").read_text())


BACKLEX, PATHMODE = (next(c for c in api_configs() if c.name == name) for name in ("backlex", "pathmode"))


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_no_upstream_constraint_is_dropped(config):
    missing = dropped(config, runtime_of(config))
    assert missing == [], f"{len(missing)} upstream constraints are missing, e.g. {missing[:5]}"


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_security_extensions_and_operation_ids_are_kept(config):
    assert meaning_changes(config, runtime_of(config)) == []


def test_the_comparison_notices_a_dropped_constraint():
    runtime = runtime_of(BACKLEX)
    del runtime["components"]["schemas"]["Org"]["properties"]["webhookUrl"]["nullable"]
    del runtime["components"]["schemas"]["CreateOrgInput"]["properties"]["name"]["maxLength"]
    assert {(p[-1], k) for p, k, _ in dropped(BACKLEX, runtime)} == {("webhookUrl", "nullable"), ("name", "maxLength")}


def test_an_operation_whose_security_is_removed_turns_public_and_is_noticed():
    runtime = runtime_of(BACKLEX)
    path, method, op = next((path, method, op) for path, method, _, op in operations(runtime) if "security" in op)
    upstream_security = json.dumps(op.pop("security"), sort_keys=True)
    assert "security" not in runtime  # backlex has no global security: the operation is public now
    assert meaning_changes(BACKLEX, runtime) == [
        Finding(("paths", path, method), "effective security", upstream_security, "[]")]


def test_a_removed_global_security_is_noticed():
    runtime = runtime_of(PATHMODE)
    upstream_global = json.dumps(runtime.pop("security"), sort_keys=True)
    findings = meaning_changes(PATHMODE, runtime)
    assert Finding((), "security", upstream_global, None) in findings
    # Operations that state their own security keep it; any that relied on the global one are public.
    relied = {("paths", "/api/v1" + path, method)
              for path, method, _, op in operations(runtime) if "security" not in op}
    assert {f.location for f in findings if f.key == "effective security"} == relied


def test_a_changed_or_removed_extension_is_noticed():
    runtime = runtime_of(PATHMODE)
    (path, method, scoped), (path2, method2, limited) = [
        (path, method, op) for path, method, _, op in operations(runtime) if "x-scope" in op and "x-rateLimit" in op
    ][:2]
    scope, limit = scoped["x-scope"], limited.pop("x-rateLimit")
    scoped["x-scope"] = "admin" if scope != "admin" else "read"
    assert set(meaning_changes(PATHMODE, runtime)) == {
        Finding(("paths", "/api/v1" + path, method), "x-scope", json.dumps(scope), json.dumps(scoped["x-scope"])),
        Finding(("paths", "/api/v1" + path2, method2), "x-rateLimit", json.dumps(limit), None),
    }


def test_a_changed_or_added_security_scheme_is_noticed():
    runtime = runtime_of(PATHMODE)
    schemes = runtime["components"]["securitySchemes"]
    name, cookie = next((name, s) for name, s in schemes.items() if s.get("in") == "cookie")
    cookie["in"] = "header"
    schemes["backdoor"] = {"type": "http", "scheme": "basic"}
    findings = {(f.location, f.key, f.upstream, f.runtime) for f in meaning_changes(PATHMODE, runtime)}
    assert findings == {
        (("components", "securitySchemes", name), "in", '"cookie"', '"header"'),
        (("components", "securitySchemes", "backdoor"), "type", None, '"http"'),
        (("components", "securitySchemes", "backdoor"), "scheme", None, '"basic"'),
    }


def test_a_removed_or_changed_operation_id_is_noticed():
    runtime = runtime_of(PATHMODE)
    (path, method, removed), (path2, method2, renamed) = [
        (path, method, op) for path, method, _, op in operations(runtime)][:2]
    old_id, old_id2 = removed.pop("operationId"), renamed["operationId"]
    renamed["operationId"] = old_id2 + "_v2"
    assert {(f.location, f.key, f.upstream, f.runtime) for f in meaning_changes(PATHMODE, runtime)} == {
        (("paths", "/api/v1" + path, method), "operationId", json.dumps(old_id), None),
        (("paths", "/api/v1" + path2, method2), "operationId", json.dumps(old_id2), json.dumps(old_id2 + "_v2")),
    }


def test_derived_operation_ids_are_not_compared():
    """backlex states none; codegen derives them, so the runtime may carry them freely."""
    assert not any("operationId" in op for *_, op in operations(json.loads(BACKLEX.spec.read_text())))
    runtime = runtime_of(BACKLEX)
    assert all("operationId" in op for *_, op in operations(runtime))
    next(op for *_, op in operations(runtime))["operationId"] = "renamed"
    assert meaning_changes(BACKLEX, runtime) == []


def runtime_from(upstream: dict, config) -> dict:
    paths = [path for path in config.overlays if path.exists()]
    return to_runtime_document(upstream, [json.loads(p.read_text()) for p in paths],
                               sources=[f"specs/{p.name}" for p in paths])


EVIDENCE_LIST = ("/api/v1/evidence", "get")


def test_what_an_overlay_sets_on_purpose_is_not_a_finding(tmp_path):
    path, method = EVIDENCE_LIST
    overlay = json.loads(PATHMODE.overlays[0].read_text())
    overlay["actions"].append({"target": f"$.paths['{path}'].{method}", "description": "on purpose",
                               "update": {"x-rateLimit": "evidence", "security": [{"sessionCookie": []}]}})
    (tmp_path / PATHMODE.overlays[0].name).write_text(json.dumps(overlay))
    config = dataclasses.replace(PATHMODE, overlays=(tmp_path / PATHMODE.overlays[0].name, *PATHMODE.overlays[1:]))
    runtime = runtime_from(json.loads(PATHMODE.spec.read_text()), config)
    assert meaning_changes(config, runtime) == []
    assert {(f.location, f.key) for f in meaning_changes(PATHMODE, runtime)} == {
        (("paths", path, method), "x-rateLimit"), (("paths", path, method), "effective security")}


def test_a_parameter_inserted_first_upstream_does_not_shift_the_corrections():
    upstream = json.loads(PATHMODE.spec.read_text())
    changed = copy.deepcopy(upstream)
    path, method = EVIDENCE_LIST
    changed["paths"][path][method]["parameters"].insert(
        0, {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}})
    runtime = runtime_from(changed, PATHMODE)
    parameters = runtime["paths"][path.removeprefix("/api/v1")][method]["parameters"]
    assert parameters[0] == {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}}
    # Everything else, the corrected type and severity among it, is what it is without the insertion.
    del parameters[0]
    assert runtime == runtime_from(upstream, PATHMODE)
    assert "enum" in next(p for p in parameters if p["name"] == "type")["schema"]


def test_a_parameter_that_disappears_upstream_fails_its_overlay_action_by_name():
    upstream = json.loads(PATHMODE.spec.read_text())
    path, method = EVIDENCE_LIST
    operation = upstream["paths"][path][method]
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] != "type"]
    actions = json.loads(PATHMODE.overlays[0].read_text())["actions"]
    index = next(i for i, a in enumerate(actions) if "@.name=='type'" in a["target"] and path in a["target"])
    with pytest.raises(OverlayError) as caught:
        runtime_from(upstream, PATHMODE)
    assert str(caught.value).startswith(f"specs/pathmode.overlay.json action {index} (")
    assert str(caught.value).endswith(f"target {actions[index]['target']} matches nothing")


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_runtime_document_is_openapi_3_0_and_names_its_sources(config):
    text = (ROOT / "generated" / config.name / "openapi.json").read_text()
    first_line = text.splitlines()[0]
    assert config.spec.name in first_line and "codegen" in first_line
    document = json.loads(text)
    assert document["openapi"] == "3.0.3"
    operation_ids = [op["operationId"] for *_, op in operations(document)]
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


# Every 3.1 spelling codegen converts (codegen/openapi31.py), in schemas, parameters, bodies,
# responses and headers.
FORMS_31 = {
    "openapi": "3.1.0",
    "info": {"title": "forms", "version": "1"},
    "servers": [{"url": "/forms"}],
    "paths": {"/widgets": {"post": {
        "operationId": "post_widgets",
        "parameters": [{"name": "limit", "in": "query", "schema": {"type": ["integer", "null"], "exclusiveMinimum": 0}},
                       {"$ref": "#/components/parameters/Cursor"}],
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}}},
        "responses": {"201": {
            "description": "created",
            "headers": {"X-Count": {"schema": {"type": "integer", "minimum": 5, "exclusiveMinimum": 2}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget",
                                                        "description": "the widget as stored"}}}}},
    }}},
    "components": {
        "parameters": {"Cursor": {"name": "cursor", "in": "query", "schema": {"type": ["string", "null"], "maxLength": 40}}},
        "schemas": {
            "Size": {"type": "number", "exclusiveMaximum": 10, "examples": [2.5, 9]},
            "Widget": {"type": "object", "required": ["kind"], "properties": {
                "kind": {"const": "widget"},
                "label": {"type": ["string", "integer", "null"], "minLength": 1, "maximum": 99},
                "colour": {"type": ["string", "null"], "enum": ["red", "blue"]},
                "nothing": {"type": ["null"]},
                "size": {"$ref": "#/components/schemas/Size", "description": "in cm"},
                "tags": {"type": "array", "items": {"type": ["string", "null"]}, "examples": [["a"]]},
            }},
        },
    },
}


def spelled_31(node) -> list:
    """The 3.1 spellings left in a document: type lists, const, schema examples lists,
    numeric exclusive bounds and $refs with siblings."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("type"), list) or "const" in node or isinstance(node.get("examples"), list):
            found.append(node)
        if any(isinstance(node.get(k), (int, float)) and not isinstance(node.get(k), bool)
               for k in ("exclusiveMinimum", "exclusiveMaximum")) or ("$ref" in node and len(node) > 1):
            found.append(node)
        for value in node.values():
            found += spelled_31(value)
    elif isinstance(node, list):
        for value in node:
            found += spelled_31(value)
    return found


def forms_config(tmp_path):
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "forms.openapi.json"
    spec.write_text(json.dumps(FORMS_31))
    return ApiConfig("forms", spec, ())


def test_a_document_in_3_1_forms_converts_with_nothing_dropped(tmp_path):
    config = forms_config(tmp_path)
    problems = []
    runtime = to_runtime_document(FORMS_31, [], problems=problems)
    assert problems == []
    assert spelled_31(FORMS_31) and spelled_31(runtime) == []
    assert dropped(config, runtime) == []


def test_a_converted_constraint_that_goes_missing_is_noticed(tmp_path):
    config = forms_config(tmp_path)
    runtime = to_runtime_document(FORMS_31, [])
    widget = runtime["components"]["schemas"]["Widget"]["properties"]
    del widget["tags"]["items"]["nullable"]
    del runtime["components"]["schemas"]["Size"]["exclusiveMaximum"]
    widget["kind"]["enum"] = ["gadget"]
    assert {(p[-1], k) for p, k, _ in dropped(config, runtime)} == {
        ("items", "nullable"), ("Size", "maximum"), ("kind", "enum")}

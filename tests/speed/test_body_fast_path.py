"""The request-body fast path (spec_server/validation.py, ``CompiledValidators``) never
accepts a body that connexion's reference validator refuses, on every body schema of both
documents."""

from __future__ import annotations

import json

import pytest
from connexion.json_schema import resolve_refs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spec_server.validation import compiled_validators

DOCUMENTS = ("generated/pathmode/openapi.json", "generated/backlex/openapi.json")


def body_schemas():
    found = []
    for path in DOCUMENTS:
        document = resolve_refs(json.load(open(path)))
        for route, item in document["paths"].items():
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
                if "application/json" in content:
                    found.append(pytest.param(content["application/json"]["schema"], id=f"{method} {route}"))
    return found


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10 ** 12) | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["", " ", "\u00a0", "x", "draft", "high", "must", "2026-06-01T12:00:00Z"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


def near(schema: dict, depth: int = 0):
    """Values shaped by ``schema`` (often valid), with junk mixed in at any level."""
    if depth > 4:
        return JUNK
    options = [JUNK]
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        options.append(near(branch, depth + 1))
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties, required = schema.get("properties", {}), set(schema.get("required", []))
        values = {name: near(sub, depth + 1) for name, sub in properties.items()}
        options.append(st.fixed_dictionaries({}, optional=values))
        options.append(st.fixed_dictionaries({name: values.get(name, JUNK) for name in required},
                                             optional={n: v for n, v in values.items() if n not in required}))
    if kind == "array":
        options.append(st.lists(near(schema.get("items", {}), depth + 1), max_size=4))
    if kind == "string":
        options.append(st.text(max_size=int(schema.get("maxLength", 20)) + 2))
        options.append(st.from_regex(r"[a-z]{1,8}", fullmatch=True))
    if kind in ("integer", "number"):
        options.append(st.integers(int(schema.get("minimum", -5)) - 2, int(schema.get("maximum", 100)) + 2))
    return st.one_of(options)


@pytest.mark.parametrize("schema", body_schemas())
def test_the_fast_path_is_never_more_lenient_than_the_reference(schema):
    validators = compiled_validators(schema)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(near(schema))
    def check(body):
        if validators.accepts(body):
            assert list(validators.reference.iter_errors(body)) == []

    check()


def test_the_create_intent_body_takes_the_fast_path():
    schema = next(p.values[0] for p in body_schemas() if p.id == "post /intents")
    body = {"title": "Speed up onboarding", "objective": "First value", "productId": "p-1",
            "outcomes": ["Done", {"text": "Activation above 40%", "priority": "must"}]}
    assert compiled_validators(schema).accepts(body)
    assert not compiled_validators(schema).accepts({**body, "title": " "})  # the reference lists why
    assert compiled_validators(schema) is compiled_validators(schema)  # built once

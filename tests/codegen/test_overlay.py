"""The Overlay applier (codegen/overlay.py): targets, the one-match rule and its error messages."""

from __future__ import annotations

import copy

import pytest

from codegen.overlay import OverlayError, apply_overlay, parse_target, resolve

EVIDENCE = {
    "paths": {
        "/evidence": {
            "get": {
                "parameters": [
                    {"name": "productId", "in": "query", "schema": {"type": "string"}},
                    {"name": "type", "in": "query", "schema": {"type": "string"}},
                    {"name": "type", "in": "header", "schema": {"type": "string"}},
                ]
            }
        }
    }
}
PARAMETERS = "$.paths['/evidence'].get.parameters"


def one_action(target: str, **action) -> dict:
    return {"actions": [{"target": target, "description": "type: 'friction | quote'", **action}]}


def test_update_merges_objects_and_appends_to_arrays():
    document = {"a": {"b": 1, "c": {"d": 2}}, "list": [1]}
    result = apply_overlay(document, {"actions": [
        {"target": "$.a", "update": {"c": {"e": 3}}},
        {"target": "$.list", "update": 2},
        {"target": "$.a.b", "remove": True},
    ]})
    assert result == {"a": {"c": {"d": 2, "e": 3}}, "list": [1, 2]}
    assert document == {"a": {"b": 1, "c": {"d": 2}}, "list": [1]}  # the input is untouched


@pytest.mark.parametrize("selector", [
    "[?(@.name=='type' && @.in=='query')]",
    '[?(@.name=="type" && @.in=="query")]',
    "[?( @.name == 'type'&&@.in == \"query\" )]",
    "[?@.name=='type' && @.in=='query']",
])
def test_a_filter_selects_a_parameter_by_name_and_in(selector):
    result = apply_overlay(EVIDENCE, one_action(f"{PARAMETERS}{selector}.schema", update={"enum": ["quote"]}))
    schemas = [p["schema"] for p in result["paths"]["/evidence"]["get"]["parameters"]]
    assert [s.get("enum") for s in schemas] == [None, ["quote"], None]


def test_resolve_gives_the_location_of_every_match():
    assert resolve(EVIDENCE, f"{PARAMETERS}[?(@.name=='type')].schema") == [
        ("paths", "/evidence", "get", "parameters", 1, "schema"),
        ("paths", "/evidence", "get", "parameters", 2, "schema"),
    ]
    assert resolve(EVIDENCE, "$.paths['/evidence'].get") == [("paths", "/evidence", "get")]
    assert resolve(EVIDENCE, f"{PARAMETERS}[?(@.name=='nope')]") == []


def test_a_filter_also_selects_members_of_an_object():
    document = {"schemas": {"A": {"type": "object"}, "B": {"type": "string"}}}
    assert resolve(document, "$.schemas[?(@.type=='string')]") == [("schemas", "B")]


def test_positions_still_select_in_other_arrays():
    document = {"tags": [{"name": "a"}, {"name": "b"}]}
    result = apply_overlay(document, one_action("$.tags[1]", update={"description": "B"}))
    assert result["tags"][1] == {"name": "b", "description": "B"}


def test_x_matches_applies_an_action_to_each_match():
    update = apply_overlay(EVIDENCE, one_action(f"{PARAMETERS}[?(@.name=='type')].schema",
                                                update={"minLength": 1}, **{"x-matches": 2}))
    assert [p["schema"].get("minLength") for p in update["paths"]["/evidence"]["get"]["parameters"]] == [None, 1, 1]
    removal = apply_overlay(EVIDENCE, one_action(f"{PARAMETERS}[?(@.name=='type')]",
                                                 remove=True, **{"x-matches": 2}))
    assert [p["name"] for p in removal["paths"]["/evidence"]["get"]["parameters"]] == ["productId"]


def overlay_error(target: str, **action) -> str:
    overlay = {"actions": [{"target": "$.paths", "update": {}, "description": "a first, good action"},
                           {"target": target, "description": "type: 'friction | quote'", **action}]}
    with pytest.raises(OverlayError) as caught:
        apply_overlay(EVIDENCE, overlay, source="specs/pathmode.overlay.json")
    return str(caught.value)


def test_a_target_that_matches_nothing_is_named_with_its_file_action_and_description():
    target = f"{PARAMETERS}[?(@.name=='kind' && @.in=='query')].schema"
    assert overlay_error(target, update={"enum": ["quote"]}) == (
        f"""specs/pathmode.overlay.json action 1 ("type: 'friction | quote'"): target {target} matches nothing"""
    )


def test_more_matches_than_one_need_x_matches():
    message = overlay_error(f"{PARAMETERS}[?(@.name=='type')].schema", update={"enum": ["quote"]})
    assert message.startswith("""specs/pathmode.overlay.json action 1 ("type: 'friction | quote'"): target""")
    assert 'matches 2 nodes; a target must match exactly one unless the action declares "x-matches": 2' in message


def test_a_count_other_than_x_matches_is_an_error():
    message = overlay_error(f"{PARAMETERS}[?(@.in=='query')].schema", update={}, **{"x-matches": 3})
    assert "action 1" in message and "matches 2 nodes, but x-matches declares 3" in message
    assert "x-matches 0" in overlay_error(f"{PARAMETERS}[?(@.in=='query')]", update={}, **{"x-matches": 0})


def test_a_parameter_by_position_is_refused_with_the_filter_to_write_instead():
    message = overlay_error(f"{PARAMETERS}[1].schema", update={"enum": ["quote"]})
    assert "action 1" in message and "selects a parameter by position ([1])" in message
    assert message.endswith("select it by name and in: parameters[?(@.name=='type' && @.in=='query')]")
    assert "by position" in overlay_error("$.paths['/evidence'].parameters[0]", remove=True)


@pytest.mark.parametrize("target", ["$..paths", "paths", "$.paths[?(@.name=='x')", "$.paths[?(@.name=x)]",
                                    "$.paths[?(@.name=='x' || @.in=='y')]"])
def test_unsupported_jsonpath_is_refused(target):
    with pytest.raises(OverlayError, match="unsupported JSONPath|must start with"):
        parse_target(target)


def test_a_long_description_is_shortened_to_one_line():
    overlay = {"actions": [{"target": "$.nope", "update": {}, "description": "word\n" * 40}]}
    with pytest.raises(OverlayError) as caught:
        apply_overlay({}, overlay, source="o.json")
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith('o.json action 0 ("word word') and ' ...")' in str(caught.value)


def test_a_refused_action_changes_nothing():
    document = {"ps": [{"n": "a", "v": []}, {"n": "a", "v": 3}]}
    errors: list[OverlayError] = []
    overlay = one_action("$.ps[?(@.n=='a')].v", update=1, **{"x-matches": 2})
    assert apply_overlay(document, overlay, errors=errors) == document  # the array got nothing appended
    assert "neither an object nor an array" in str(errors[0])


def test_with_an_errors_list_every_broken_action_is_reported_and_the_rest_applied():
    errors: list[OverlayError] = []
    overlay = {"actions": [{"target": "$.nope", "update": {}, "description": "first"},
                           {"target": f"{PARAMETERS}[0].schema", "update": {}, "description": "second"},
                           {"target": "$.paths['/evidence']", "update": {"summary": "S"}}]}
    result = apply_overlay(EVIDENCE, overlay, source="x.json", errors=errors)
    assert [(e.where.split(" (")[0], e.target) for e in errors] == [
        ("x.json action 0", "$.nope"), ("x.json action 1", f"{PARAMETERS}[0].schema")]
    expected = copy.deepcopy(EVIDENCE)
    expected["paths"]["/evidence"]["summary"] = "S"
    assert result == expected

"""The suite's own checks on hand-made bodies: they flag what they must and nothing else."""

from __future__ import annotations

from conformance.checks import ndjson_problem, nullable_keys, shape_problems

EXAMPLE = {"id": "x", "count": 1, "shippedAt": None, "tags": ["a"],
           "outcomes": [{"id": "o", "text": "t", "priority": "must"}], "context": {}}


def body(**changes):
    value = {"id": "i", "count": 3, "shippedAt": "2026-01-01", "tags": [],
             "outcomes": [{"id": "o1", "text": "t1", "priority": "should"}], "context": {"k": 1}}
    value.update(changes)
    return value


def test_a_body_shaped_like_the_example_passes():
    assert shape_problems(body(), EXAMPLE) == []


def test_a_missing_key_and_a_wrong_type_are_named():
    bad = body(count="3")
    del bad["id"]
    assert shape_problems(bad, EXAMPLE) == ["$.id: missing", "$.count: string, the example shows number"]


def test_list_items_are_checked_against_the_first_example_item():
    problems = shape_problems(body(outcomes=[{"id": "o", "text": 5}]), EXAMPLE)
    assert problems == ["$.outcomes[0].text: number, the example shows string",
                        "$.outcomes[0].priority: missing"]


def test_null_only_where_the_example_shows_null_or_a_rule_allows_it():
    assert shape_problems(body(shippedAt=None), EXAMPLE) == []
    assert shape_problems(body(count=None), EXAMPLE) == ["$.count: null, the example shows number"]
    assert shape_problems(body(count=None), EXAMPLE, nullable=frozenset({"$.count"})) == []


def test_optional_paths_may_be_omitted():
    outcome = {"id": "o", "text": "t"}
    assert shape_problems(body(outcomes=[outcome]), EXAMPLE,
                          optional=frozenset({"$.outcomes[].priority"})) == []


def test_nullable_keys_come_from_the_description():
    assert {"shippedAt", "verifiedAt"} <= nullable_keys("Intent returned. shippedAt and verifiedAt are nullable.")
    assert "title" not in nullable_keys("Intent returned. title is required. shippedAt is nullable.")


def test_an_ndjson_line_is_cut_at_newline_alone():
    """A title holding U+2028 or U+0085 is one JSON line, as orjson writes it (found by CI's run)."""
    stream = '{"phase":"writing"}\n{"phase":"done","title":"a\u2028b\x85c"}\n'
    assert ndjson_problem(stream) is None
    assert ndjson_problem('{"phase":"done"}\n{"phase": \n') == "NDJSON line 2 is not JSON: '{\"phase\": '"

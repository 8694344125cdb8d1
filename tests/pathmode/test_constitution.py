"""GET /api/v1/workspace/constitution: the active rules of the workspace (PM-CONSTITUTION-*)."""

from __future__ import annotations

from tests.support import only_rules


def constitution(client, tenants, ws="ws-a") -> dict:
    response = client.get("/api/v1/workspace/constitution", headers=tenants.pm_headers(ws))
    assert response.status_code == 200, response.text
    return response.json()


def test_rules_of_the_callers_workspace(client, tenants):
    """PM-CONSTITUTION-1: "Get the active constitution rules for the authenticated workspace." """
    body = constitution(client, tenants)
    assert set(body) == {"rules", "count"}
    assert {r["text"] for r in body["rules"]} == {"Never log raw PII.", "Keep forms short."}
    assert "B's rule." not in {r["text"] for r in body["rules"]}
    assert [r["text"] for r in constitution(client, tenants, "ws-b")["rules"]] == ["B's rule."]


def test_only_active_rules(client, tenants):
    """PM-CONSTITUTION-2: "Only returns is_active=true rules" """
    active, inactive = only_rules(tenants, {"text": "On"}, {"text": "Off", "is_active": False})
    rules = constitution(client, tenants)["rules"]
    assert [r["id"] for r in rules] == [active]
    assert all(r["isActive"] is True for r in rules)


def test_newest_first(client, tenants):
    """PM-CONSTITUTION-3: "sorted created_at DESC" """
    first, second, third = only_rules(tenants, {"text": "R1"}, {"text": "R2"}, {"text": "R3"})
    assert [r["id"] for r in constitution(client, tenants)["rules"]] == [third, second, first]


def test_null_rationale_and_scope_are_omitted(client, tenants):
    """PM-CONSTITUTION-4: "rationale/scope omitted when null" """
    bare, full = only_rules(tenants, {"text": "Bare"}, {"text": "Full", "rationale": "why", "scope": "api"})
    rules = {r["id"]: r for r in constitution(client, tenants)["rules"]}
    assert "rationale" not in rules[bare] and "scope" not in rules[bare]
    assert (rules[full]["rationale"], rules[full]["scope"]) == ("why", "api")


def test_examples_omitted_when_not_an_array(client, tenants):
    """PM-CONSTITUTION-5: "examples omitted when not an array" """
    null, text, obj, listed = only_rules(tenants, {"text": "Null"}, {"text": "Text", "examples": "e"},
                                         {"text": "Obj", "examples": {"a": 1}}, {"text": "List", "examples": ["e1", "e2"]})
    rules = {r["id"]: r for r in constitution(client, tenants)["rules"]}
    for rule_id in (null, text, obj):
        assert "examples" not in rules[rule_id]
    assert rules[listed]["examples"] == ["e1", "e2"]


def test_enforcement_defaults_to_required(client, tenants):
    """PM-CONSTITUTION-6: "enforcement defaults to 'required'" """
    unset, advisory = only_rules(tenants, {"text": "Unset"}, {"text": "Advisory", "enforcement": "advisory"})
    rules = {r["id"]: r for r in constitution(client, tenants)["rules"]}
    assert rules[unset]["enforcement"] == "required"
    assert rules[advisory]["enforcement"] == "advisory"


def test_count_is_the_number_of_rules(client, tenants):
    """PM-CONSTITUTION-7: "count is rules.length." — including 0."""
    body = constitution(client, tenants)
    assert body["count"] == len(body["rules"]) == 2
    only_rules(tenants, {"text": "Off", "is_active": False})
    assert constitution(client, tenants) == {"rules": [], "count": 0}

"""Pathmode agent prompts: GET /api/v1/intents/{id}/prompt."""

from __future__ import annotations

import json

import pytest

from tests.pathmode._part2 import (
    STUB,
    add_rule,
    assert_json_error,
    link_evidence,
    random_id,
    set_implementation_context,
    update_workspace,
)
from tests.support import new_intent

AGENTS = ("cursor", "windsurf", "claude-code", "codex", "generic")


def prompt(client, tenants, intent_id, workspace="ws-a", **params):
    return client.get(f"/api/v1/intents/{intent_id}/prompt", params=params, headers=tenants.pm_headers(workspace))


def ready(client, tenants, **fields):
    return new_intent(client, tenants, outcomes=["Reset link on the login screen", "Email arrives in a minute"],
                      **fields)


def test_returns_prompt_and_json(client, tenants):
    """PM-PROMPT-1: "Returns { prompt, json }" """
    response = prompt(client, tenants, ready(client, tenants)["id"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"prompt", "json"}
    assert isinstance(body["prompt"], str) and isinstance(body["json"], dict)


def test_prompt_holds_the_spec(client, tenants):
    """PM-PROMPT-2: "Assembles spec + workspace strategy + product + constitution rules + linked evidence" """
    intent = ready(client, tenants, title="Password reset", objective="Let users recover access alone")
    text = prompt(client, tenants, intent["id"]).json()["prompt"]
    for part in ("Password reset", "Let users recover access alone", "Reset link on the login screen",
                 "Email arrives in a minute"):
        assert part in text


def test_prompt_holds_the_workspace_strategy(client, tenants):
    """PM-PROMPT-3: "Assembles spec + workspace strategy + product + constitution rules + linked evidence" """
    intent = ready(client, tenants)
    without = prompt(client, tenants, intent["id"])
    assert without.status_code == 200 and "Win self-serve teams" not in without.json()["prompt"]
    update_workspace(tenants, settings={"strategy": "Win self-serve teams before enterprise."})
    assert "Win self-serve teams before enterprise." in prompt(client, tenants, intent["id"]).json()["prompt"]


def test_prompt_holds_the_product(client, tenants):
    """PM-PROMPT-4: "Assembles spec + workspace strategy + product + constitution rules + linked evidence" """
    intent = ready(client, tenants, productId=tenants.pm_product_id("ws-a", "search"))
    body = prompt(client, tenants, intent["id"]).json()
    assert "Search" in body["prompt"] and body["json"]["product"]["name"] == "Search"


def test_prompt_holds_active_rules_only(client, tenants):
    """PM-PROMPT-5: "Assembles spec + workspace strategy + product + constitution rules + linked evidence" """
    add_rule(tenants, "Retired rule about fax machines.", active=False)
    text = prompt(client, tenants, ready(client, tenants)["id"]).json()["prompt"]
    assert "Never log raw PII." in text and "Keep forms short." in text
    assert "fax machines" not in text and "B's rule." not in text


def test_prompt_holds_linked_evidence(client, tenants):
    """PM-PROMPT-6: "Assembles spec + workspace strategy + product + constitution rules + linked evidence" """
    intent = ready(client, tenants)
    assert "I gave up after the third reset email" not in prompt(client, tenants, intent["id"]).json()["prompt"]
    link_evidence(tenants, intent["id"], "I gave up after the third reset email")
    assert "I gave up after the third reset email" in prompt(client, tenants, intent["id"]).json()["prompt"]


def test_rules_prefixed_by_enforcement(client, tenants):
    """PM-PROMPT-7: "Constitution rules are prefixed [BLOCKING]/[advisory] by enforcement level." """
    body = prompt(client, tenants, ready(client, tenants)["id"]).json()
    assert "[BLOCKING] Never log raw PII." in body["prompt"]
    assert "[advisory] Keep forms short." in body["prompt"]
    assert "[BLOCKING] Keep forms short." not in body["prompt"]
    assert set(body["json"]["constitutionRules"]) == {"[BLOCKING] Never log raw PII.", "[advisory] Keep forms short."}


def test_agent_type_defaults_to_claude_code(client, tenants):
    """PM-PROMPT-8: "Default 'claude-code'." """
    intent = ready(client, tenants)
    default = prompt(client, tenants, intent["id"]).json()
    assert default == prompt(client, tenants, intent["id"], agent_type="claude-code").json()
    assert default["prompt"] != prompt(client, tenants, intent["id"], agent_type="cursor").json()["prompt"]


@pytest.mark.parametrize("agent", AGENTS)
def test_every_agent_type(client, tenants, agent):
    """PM-PROMPT-9: "cursor|windsurf|claude-code|codex|generic" """
    response = prompt(client, tenants, ready(client, tenants)["id"], agent_type=agent)
    assert response.status_code == 200
    assert response.json()["json"]["agentType"] == agent and response.json()["prompt"].startswith("# ")


def test_unknown_agent_type_or_mode_or_format_is_400(client, tenants):
    """The issue: "an unknown value is 400" (agent_type, mode, format)."""
    intent = ready(client, tenants)
    for params in ({"agent_type": "copilot"}, {"mode": "yolo"}, {"format": "yaml"}):
        assert_json_error(prompt(client, tenants, intent["id"], **params), 400)


def test_mode_defaults_to_execute(client, tenants):
    """PM-PROMPT-10: "Default 'execute'." """
    stub = new_intent(client, tenants, **STUB)
    default = prompt(client, tenants, stub["id"])
    assert default.status_code == 422
    assert default.json() == prompt(client, tenants, stub["id"], mode="execute").json()


@pytest.mark.parametrize("fields", [{"outcomes": []}, {"objective": "TBD"}, {"title": "Untitled"}],
                         ids=["no-outcomes", "placeholder-objective", "placeholder-title"])
def test_execute_requires_readiness(client, tenants, fields):
    """PM-PROMPT-11: "the intent must pass readiness (meaningful title + objective + >=1 outcome) or 422" """
    unready = new_intent(client, tenants, **fields)
    assert_json_error(prompt(client, tenants, unready["id"], mode="execute"), 422)
    assert prompt(client, tenants, ready(client, tenants)["id"], mode="execute").status_code == 200


def test_one_word_objective_is_not_ready(client, tenants):
    """PM-PROMPT-11: "meaningful ... objective" — docs/behaviour.md "readiness": the objective
    needs at least 2 words; one word is a blocker, two are enough."""
    one_word = new_intent(client, tenants, objective="Checkout")
    body = assert_json_error(prompt(client, tenants, one_word["id"], mode="execute"), 422)
    assert "Objective is missing or a placeholder." in body["readiness"]["blockers"]
    two_words = ready(client, tenants, objective="Checkout faster")
    assert prompt(client, tenants, two_words["id"], mode="execute").status_code == 200


def test_draft_mode_allows_unready(client, tenants):
    """PM-PROMPT-12: "draft|execute" """
    stub = new_intent(client, tenants, **STUB)
    response = prompt(client, tenants, stub["id"], mode="draft")
    assert response.status_code == 200
    assert set(response.json()) == {"prompt", "json"} and "Draft mode" in response.json()["prompt"]


def test_not_ready_body(client, tenants):
    """PM-PROMPT-13: "The 422 body is { error, readiness: { isSubstantive, isReadyForExecution, score,
    blockers[], warnings[] }, suggestion }" """
    body = assert_json_error(prompt(client, tenants, new_intent(client, tenants, outcomes=[])["id"]), 422)
    readiness = body["readiness"]
    assert isinstance(readiness["isSubstantive"], bool) and readiness["isReadyForExecution"] is False
    assert isinstance(readiness["score"], int) and 0 <= readiness["score"] < 100
    assert readiness["blockers"] and isinstance(readiness["warnings"], list)
    assert isinstance(body["suggestion"], str) and body["suggestion"]


def test_format_defaults_to_markdown(client, tenants):
    """PM-PROMPT-14: "Default 'markdown'." """
    intent = ready(client, tenants)
    default = prompt(client, tenants, intent["id"]).json()["prompt"]
    assert default == prompt(client, tenants, intent["id"], format="markdown").json()["prompt"]
    assert default.startswith("# Intent: ")


def test_json_format_prompt_parses(client, tenants):
    """PM-PROMPT-15: "Shapes the prompt string." """
    intent = ready(client, tenants, title="Password reset")
    as_json = prompt(client, tenants, intent["id"], format="json").json()["prompt"]
    assert as_json != prompt(client, tenants, intent["id"]).json()["prompt"]
    parsed = json.loads(as_json)
    assert parsed["intent"]["title"] == "Password reset" and parsed["agent"] == "claude-code"


def test_implementation_context_only_with_flag(client, tenants):
    """PM-PROMPT-16: "implementation_context is stripped from the export unless the workspace flag
    implementation_context_enabled is on" """
    intent = ready(client, tenants)
    set_implementation_context(intent["id"], {
        "relevantAreas": [{"path": "src/reset.py", "reason": "reset flow"}],
        "currentBehavior": "Resets go through a support ticket today.", "risks": []})
    update_workspace(tenants, flags={"implementation_context_enabled": False})
    off = prompt(client, tenants, intent["id"]).json()
    assert "support ticket" not in off["prompt"] and "support ticket" not in json.dumps(off["json"])
    update_workspace(tenants, flags={"implementation_context_enabled": True})
    on = prompt(client, tenants, intent["id"]).json()
    assert "Resets go through a support ticket today." in on["prompt"] and "src/reset.py" in on["prompt"]


def test_foreign_or_unknown_intent_404(client, tenants):
    """PM-PROMPT-17: "Intent not found in this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (foreign["id"], random_id()):
        assert_json_error(prompt(client, tenants, intent_id), 404)

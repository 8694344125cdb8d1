"""Pathmode export: GET /api/v1/export (agent context files)."""

from __future__ import annotations

import json

import pytest

from spec_server import clock
from tests.pathmode._part2 import STUB, assert_json_error, random_id, update_product
from tests.support import new_intent

MARKDOWN, TEXT = "text/markdown; charset=utf-8", "text/plain; charset=utf-8"
FILES = {
    "claude-md": (MARKDOWN, "CLAUDE.md"),
    "agents-md": (MARKDOWN, "AGENTS.md"),
    "cursorrules": (TEXT, ".cursorrules"),
    "intent-md": (MARKDOWN, "intent.md"),
}


def export(client, tenants, workspace="ws-a", **params):
    return client.get("/api/v1/export", params=params, headers=tenants.pm_headers(workspace))


def assert_file(response, content_type: str, filename: str) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    return response.text


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("export_format", FILES)
def test_success_is_a_file_download(client, tenants, export_format):
    """PM-EXPORT-1: "SUCCESS RESPONSE IS A FILE DOWNLOAD, NOT JSON." """
    new_intent(client, tenants)
    response = export(client, tenants, format=export_format)
    assert response.status_code == 200
    assert "json" not in response.headers["content-type"] and not is_json(response.text)
    assert response.headers["content-disposition"].startswith("attachment;")


def test_claude_md_is_the_default(client, tenants):
    """PM-EXPORT-2: "claude-md (default)" """
    new_intent(client, tenants)
    default, explicit = export(client, tenants), export(client, tenants, format="claude-md")
    assert default.status_code == 200 and default.text == explicit.text
    for header in ("content-type", "content-disposition"):
        assert default.headers[header] == explicit.headers[header]


def test_claude_md_file(client, tenants):
    """PM-EXPORT-3: "claude-md sets Content-Type text/markdown + filename CLAUDE.md" """
    new_intent(client, tenants)
    assert_file(export(client, tenants, format="claude-md"), MARKDOWN, "CLAUDE.md")


def test_stub_intents_are_left_out(client, tenants):
    """PM-EXPORT-4: "filters out non-substantive intents" """
    new_intent(client, tenants, title="Substantive checkout speed-up")
    new_intent(client, tenants, **{**STUB, "title": "Untitled"})
    body = export(client, tenants).text
    assert "Substantive checkout speed-up" in body and "Untitled" not in body


def test_warnings_block_first(client, tenants):
    """PM-EXPORT-5: "prepends a <!-- PATHMODE:WARNINGS --> block" """
    new_intent(client, tenants)
    new_intent(client, tenants, **STUB)
    body = export(client, tenants).text
    assert body.startswith("<!-- PATHMODE:WARNINGS -->\n")
    assert body.index("<!-- /PATHMODE:WARNINGS -->") < body.index("# Pathmode Intent Context")


def test_stub_note_only_when_stubs_dropped(client, tenants):
    """PM-EXPORT-6: "plus a note when stub intents were filtered" """
    new_intent(client, tenants)
    def block():
        text = export(client, tenants).text
        return text[: text.index("<!-- /PATHMODE:WARNINGS -->")]
    assert "stub intent" not in block()
    new_intent(client, tenants, **STUB)
    assert "1 stub intent was left out" in block()


def test_agents_md_body_identical(client, tenants):
    """PM-EXPORT-7: "agents-md is identical to claude-md" """
    new_intent(client, tenants)
    new_intent(client, tenants, **STUB)
    assert export(client, tenants, format="agents-md").content == export(client, tenants, format="claude-md").content


def test_agents_md_file(client, tenants):
    """PM-EXPORT-8: "but sets filename AGENTS.md" """
    new_intent(client, tenants)
    assert_file(export(client, tenants, format="agents-md"), MARKDOWN, "AGENTS.md")


@pytest.mark.parametrize("export_format", ["claude-md", "agents-md"])
def test_agent_agnostic_heading(client, tenants, export_format):
    """PM-EXPORT-9: "same agent-agnostic '# Pathmode Intent Context' body" """
    new_intent(client, tenants)
    assert "\n# Pathmode Intent Context\n" in export(client, tenants, format=export_format).text


def test_cursorrules_file(client, tenants):
    """PM-EXPORT-10: "cursorrules sets text/plain + filename .cursorrules." """
    new_intent(client, tenants, title="Faster onboarding flow")
    assert "Faster onboarding flow" in assert_file(export(client, tenants, format="cursorrules"), TEXT, ".cursorrules")


def test_intent_md_file(client, tenants):
    """PM-EXPORT-11: "intent-md sets text/markdown + filename intent.md." """
    new_intent(client, tenants, title="Faster onboarding flow")
    assert assert_file(export(client, tenants, format="intent-md"), MARKDOWN, "intent.md").startswith(
        "# Faster onboarding flow\n")


def test_other_format_is_400(client, tenants):
    """PM-EXPORT-12: "Any other value yields 400." """
    new_intent(client, tenants)
    assert_json_error(export(client, tenants, format="yaml"), 400)


@pytest.mark.parametrize("export_format", ["intent-md", "cursorrules"])
def test_intent_id_targets_one_intent(client, tenants, export_format):
    """PM-EXPORT-13: "For cursorrules/intent-md: target a specific intent" """
    target = new_intent(client, tenants, title="Target intent alpha")
    new_intent(client, tenants, title="Other intent beta")
    body = export(client, tenants, format=export_format, intent_id=target["id"]).text
    assert "Target intent alpha" in body and "Other intent beta" not in body


def test_best_intent_when_omitted(client, tenants):
    """PM-EXPORT-14: "if omitted, pickBestIntent chooses one" (ready first, then approved >
    validated > draft > shipped > verified, then readiness score, then newest update)."""
    new_intent(client, tenants, **STUB)
    plain = new_intent(client, tenants, title="Plain draft intent")
    new_intent(client, tenants, title="Fuller draft intent", constraints=["Keep it fast"],
                        edgeCases=[{"scenario": "Offline", "expectedBehavior": "Queue it"}])
    response = export(client, tenants, format="intent-md")
    assert response.status_code == 200 and response.text.startswith("# Fuller draft intent\n")
    client.patch(f"/api/v1/intents/{plain['id']}/status", json={"status": "validated"}, headers=tenants.pm_headers())
    assert export(client, tenants, format="intent-md").text.startswith("# Plain draft intent\n")


def test_product_id_overrides(client, tenants):
    """PM-EXPORT-15: "explicit override" """
    update_product(tenants.pm_product_id("ws-a", "search"), description="Search manifest context here.")
    intent = new_intent(client, tenants)  # a Checkout intent
    body = export(client, tenants, product_id=tenants.pm_product_id("ws-a", "search"), intent_id=intent["id"]).text
    assert "## Product: Search" in body and "Search manifest context here." in body
    assert "## Product: Checkout" not in body


def test_product_from_intent(client, tenants):
    """PM-EXPORT-16: "else resolved from intent" """
    update_product(tenants.pm_product_id("ws-a", "search"), manifest={"stack": "search-manifest-marker"})
    intent = new_intent(client, tenants, productId=tenants.pm_product_id("ws-a", "search"))
    body = export(client, tenants, intent_id=intent["id"]).text
    assert "## Product: Search" in body and "search-manifest-marker" in body


def test_product_else_first_active(client, tenants):
    """PM-EXPORT-17: "else first active product" """
    new_intent(client, tenants, productId=tenants.pm_product_id("ws-a", "search"))
    body = export(client, tenants).text
    assert "## Product: Checkout" in body  # created before Search
    update_product(tenants.pm_product_id("ws-a", "checkout"), status="archived")
    assert "## Product: Search" in export(client, tenants).text


@pytest.mark.parametrize("export_format", ["intent-md", "cursorrules"])
def test_unknown_or_foreign_intent_404(client, tenants, export_format):
    """PM-EXPORT-18: "requested intent_id not found" """
    new_intent(client, tenants)
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (random_id(), foreign["id"]):
        assert_json_error(export(client, tenants, format=export_format, intent_id=intent_id), 404)


@pytest.mark.parametrize("export_format", ["intent-md", "cursorrules"])
def test_no_intents_404(client, tenants, export_format):
    """PM-EXPORT-19: "or no intents exist in the workspace" """
    assert_json_error(export(client, tenants, format=export_format), 404)


@pytest.mark.parametrize("export_format", ["intent-md", "cursorrules"])
def test_unready_target_422(client, tenants, export_format):
    """PM-EXPORT-20: "target intent is not ready for execution (returns JSON { error, readiness,
    suggestion })" """
    unready = new_intent(client, tenants, outcomes=[])
    body = assert_json_error(export(client, tenants, format=export_format, intent_id=unready["id"]), 422)
    assert body["readiness"]["isReadyForExecution"] is False and isinstance(body["suggestion"], str)


def test_sorted_by_update_newest_first(client, tenants):
    """PM-EXPORT-21: "sorted updated_at DESC" """
    older = new_intent(client, tenants, title="First written intent")
    clock.advance(5)
    new_intent(client, tenants, title="Second written intent")
    body = export(client, tenants).text
    assert body.index("Second written intent") < body.index("First written intent")
    clock.advance(5)
    client.patch(f"/api/v1/intents/{older['id']}", json={"objective": "Now touched last of all"},
                 headers=tenants.pm_headers())
    body = export(client, tenants).text
    assert body.index("First written intent") < body.index("Second written intent")

"""Golden files for every template output (prompts, export files, review page).

Each case renders a template from a fixed context and compares it byte for byte with
``tests/pathmode/golden/<name>``. After an intended template change, regenerate with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/pathmode/test_golden_templates.py

and review the diff of ``tests/pathmode/golden/`` before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generated.pathmode.operations import BY_ID
from handlers.pathmode import _prompts, _templates

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

SPEC = {
    "id": "3f2a9c1e-8b4d-4e2a-9c1e-7a6b5c4d3e2f",
    "title": "Add password reset",
    "objective": "Let users recover access without contacting support.",
    "status": "approved",
    "problemSeverity": "high",
    "outcomes": ["Users can reset password from the login screen", "Reset email arrives within a minute"],
    "constraints": ["Tokens expire after one hour"],
    "healthMetrics": ["Support tickets about access drop by half"],
    "edgeCases": [{"scenario": "Expired token", "expectedBehavior": "Show an expiry message and a new link"}],
    "scope": {"inScope": ["web"], "outOfScope": ["mobile"]},
    "verification": {},
    "createdAt": 1780300800000,
    "updatedAt": 1780835696000,
    "shippedAt": None,
    "verifiedAt": None,
    "implementationContext": {
        "relevantAreas": [{"path": "src/auth/reset.ts", "reason": "Holds the existing reset-token flow"}],
        "currentBehavior": "Reset is admin-only via a CLI script.",
        "liftEstimate": "medium",
        "risks": ["Token reuse if expiry is not enforced"],
        "verificationSuggestions": ["Add an e2e test for the reset link flow"],
    },
}
READY = {"isSubstantive": True, "isReadyForExecution": True, "score": 100, "blockers": [], "warnings": []}
UNREADY = {"isSubstantive": True, "isReadyForExecution": False, "score": 50,
           "blockers": ["No outcomes: add at least one observable outcome."], "warnings": ["No edge cases listed."]}
PRODUCT = {"name": "Payroll", "description": "Payroll for small teams.", "vision": "Payday without dread",
           "northStar": "Runs paid on time", "targetAudience": "Founders", "manifest": {"stack": "Next.js"}}
CONTEXT = {
    "spec": SPEC,
    "readiness": READY,
    "strategy": "Win self-serve teams before enterprise.",
    "product": PRODUCT,
    "rules": ["[BLOCKING] No PII in logs", "[advisory] Keep forms short"],
    "evidence": [{"type": "quote", "content": "I gave up after the third reset email", "source": "Interview 4"}],
    "openFindings": [{"assumption": "Reset links are single-use", "finding": "Mail scanners pre-open links",
                      "target": "edgeCase:1", "correction": "Confirm on a page before consuming the token"}],
}
BARE = {**CONTEXT, "spec": {**SPEC, "implementationContext": None, "constraints": [], "edgeCases": [],
                            "healthMetrics": []},
        "strategy": None, "product": None, "rules": [], "evidence": [], "openFindings": []}


def prompt_cases():
    for agent in BY_ID["get_intents_id_prompt"].choices("agent_type"):
        for output_format, suffix in (("markdown", "md"), ("json", "json")):
            yield f"prompt-{agent}.{suffix}", lambda a=agent, f=output_format: _prompts.render_prompt(
                CONTEXT, agent_type=a, mode="execute", output_format=f)
    yield "prompt-claude-code-draft.md", lambda: _prompts.render_prompt(
        {**BARE, "readiness": UNREADY}, agent_type="claude-code", mode="draft", output_format="markdown")


def export_cases():
    entry = {"spec": SPEC, "readiness": READY, "evidence": CONTEXT["evidence"]}
    unready = {"spec": {**SPEC, "title": "Faster payroll runs", "outcomes": [], "implementationContext": None},
               "readiness": UNREADY, "evidence": []}
    yield "export-context.md", lambda: _templates.render(
        "export/context.md.jinja", workspace="Acme", product=PRODUCT, strategy=CONTEXT["strategy"],
        rules=CONTEXT["rules"], intents=[entry, unready],
        warnings=["1 stub intent was left out of this export (placeholder title or objective and no outcomes).",
                  "\"Faster payroll runs\" is not ready for execution: No outcomes: add at least one observable outcome."])
    yield "export-context-empty.md", lambda: _templates.render(
        "export/context.md.jinja", workspace="Acme", product=None, strategy=None, rules=[], intents=[], warnings=[])
    yield "export-cursorrules.txt", lambda: _templates.render("export/cursorrules.jinja", **CONTEXT)
    yield "export-intent.md", lambda: _templates.render("export/intent.md.jinja", **CONTEXT)
    yield "export-intent-bare.md", lambda: _templates.render("export/intent.md.jinja", **BARE)


def review_cases():
    api_spec = {**SPEC, "outcomes": [{"id": "o1", "text": o} for o in SPEC["outcomes"]]}
    api_spec["edgeCases"] = [{"id": "e1", **SPEC["edgeCases"][0]}]
    yield "review-intent.html", lambda: _templates.render(
        "review/intent.html.jinja", spec={**api_spec, "title": "Add <password> reset & more"}, outcomes=SPEC["outcomes"])
    yield "review-empty.html", lambda: _templates.render(
        "review/intent.html.jinja", spec={**api_spec, "edgeCases": [], "constraints": []}, outcomes=[])
    yield "review-not-found.html", lambda: _templates.render("review/not_found.html.jinja")


CASES = dict([*prompt_cases(), *export_cases(), *review_cases()])


@pytest.mark.parametrize("name", sorted(CASES))
def test_template_output_matches_golden_file(name):
    rendered = CASES[name]()
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(rendered)
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_text()
    if name.endswith(".json"):
        json.loads(rendered)  # the JSON prompt is a JSON document


def test_every_template_has_a_golden_case():
    """A template without a golden case is a template whose output nobody checks."""
    templates = {p.relative_to(_templates.TEMPLATE_DIR).as_posix()
                 for p in _templates.TEMPLATE_DIR.rglob("*.jinja") if not p.name.startswith("_")}
    agents = BY_ID["get_intents_id_prompt"].choices("agent_type")
    covered = {f"prompts/{a}.{s}.jinja" for a in agents for s in ("md", "json")}
    covered |= {"export/context.md.jinja", "export/cursorrules.jinja", "export/intent.md.jinja",
                "review/intent.html.jinja", "review/not_found.html.jinja"}
    assert templates == covered


def test_html_is_escaped():
    """The review page escapes intent text (it is user content on a public page)."""
    assert "Add &lt;password&gt; reset &amp; more" in CASES["review-intent.html"]()

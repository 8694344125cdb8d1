"""POST /api/v1/intents: create an intent spec under a product (PM-INTENTS-CREATE-*)."""

from __future__ import annotations

import time
import uuid

import pytest

from handlers.pathmode.store import Intent
from spec_server.db import database
from spec_server.store import OutboxEvent
from tests.support import new_intent


def valid_body(tenants, **fields) -> dict:
    return {"title": "Speed up onboarding", "objective": "First value in ten minutes",
            "productId": tenants.pm_product_id(), **fields}


def post(client, tenants, body, workspace="ws-a"):
    return client.post("/api/v1/intents", json=body, headers=tenants.pm_headers(workspace))


def stored_intents(tenants, workspace="ws-a") -> int:
    with database.connection_context():
        return Intent.select().where(Intent.workspace == tenants.pm_workspace_id(workspace)).count()


def assert_validation_error(response, field: str | None = None):
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], dict)
    if field is not None:
        assert field in body["details"]["fieldErrors"], body


def test_created_in_the_callers_workspace(client, tenants):
    """PM-INTENTS-CREATE-1: "under a product in the authenticated workspace" — the intent belongs
    to the key's workspace and echoes the product."""
    response = post(client, tenants, valid_body(tenants, productId=tenants.pm_product_id(slug="search")))
    assert response.status_code == 201, response.text
    assert response.json()["workspaceId"] == tenants.pm_workspace_id()
    assert response.json()["productId"] == tenants.pm_product_id(slug="search")


def test_status_defaults_to_draft(client, tenants):
    """PM-INTENTS-CREATE-2: "status defaults to draft" — and version 1."""
    body = post(client, tenants, valid_body(tenants)).json()
    assert (body["status"], body["version"]) == ("draft", 1)


def test_clients_cannot_set_status_or_version(client, tenants):
    """PM-INTENTS-CREATE-3: "New intent always starts at status 'draft', version 1" — status and
    version in the body are ignored."""
    response = post(client, tenants, valid_body(tenants, status="shipped", version=7))
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["version"]) == ("draft", 1)


def test_created_body_is_the_full_mapped_intent(client, tenants):
    """PM-INTENTS-CREATE-4: "Created — returns the full mapped intent" — equal to a following GET."""
    created = post(client, tenants, valid_body(tenants, outcomes=["A", {"text": "B", "priority": "must"}],
                                               edgeCases=[{"scenario": "s", "expectedBehavior": "e"}],
                                               constraints=["c"], healthMetrics=["m"],
                                               problemSeverity="high", scope={"inScope": ["x"]})).json()
    fetched = client.get(f"/api/v1/intents/{created['id']}", headers=tenants.pm_headers())
    assert fetched.status_code == 200
    assert fetched.json() == created


BLANK_CASES = [
    pytest.param("title", "PM-INTENTS-CREATE-5", id="title"),
    pytest.param("objective", "PM-INTENTS-CREATE-6", id="objective"),
    pytest.param("productId", "PM-INTENTS-CREATE-7", id="productId"),
]


@pytest.mark.parametrize("field,clause", BLANK_CASES)
@pytest.mark.parametrize("value", ["   ", "", None], ids=["blank", "empty", "missing"])
def test_required_text_must_be_non_empty_after_trim(client, tenants, field, clause, value):
    """PM-INTENTS-CREATE-5, -6, -7: "Non-empty after trim." — a blank, empty or missing title,
    objective or productId is 400 {error, details} and creates nothing."""
    body = valid_body(tenants)
    if value is None:
        del body[field]
    else:
        body[field] = value
    assert_validation_error(post(client, tenants, body), field)
    assert stored_intents(tenants) == 0


def test_text_is_stored_trimmed(client, tenants):
    """PM-INTENTS-CREATE-5, -6, PM-SCHEMA-CONFLICT-13: "Non-empty after trim." — the padded title
    and objective are stored trimmed (docs/behaviour.md "Pathmode — corrections": handlers trim
    before storing): the 201, GET and the list all show them without the padding."""
    response = post(client, tenants, valid_body(tenants, title="  Padded  ", objective="\t First value soon \n"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["title"], created["objective"]) == ("Padded", "First value soon")
    shown = client.get(f"/api/v1/intents/{created['id']}", headers=tenants.pm_headers()).json()
    assert (shown["title"], shown["objective"]) == ("Padded", "First value soon")
    listed = client.get("/api/v1/intents", headers=tenants.pm_headers()).json()["intents"]
    assert [intent["title"] for intent in listed] == ["Padded"]


@pytest.mark.parametrize("product", ["other-workspace", "random"])
def test_product_must_be_in_this_workspace(client, tenants, product):
    """PM-INTENTS-CREATE-8: "Must reference a product in this workspace or returns 404." — another
    workspace's product, or an unknown id, is 404 and creates nothing."""
    product_id = tenants.pm_product_id("ws-b", "billing") if product == "other-workspace" else str(uuid.uuid4())
    response = post(client, tenants, valid_body(tenants, productId=product_id))
    assert response.status_code == 404
    assert isinstance(response.json()["error"], str)
    assert stored_intents(tenants) == 0 and stored_intents(tenants, "ws-b") == 0


def test_string_outcomes_become_structured(client, tenants):
    """PM-INTENTS-CREATE-9: "Normalized to StructuredOutcome[] at the boundary." — a string
    outcome becomes {id, text}."""
    outcome = post(client, tenants, valid_body(tenants, outcomes=["  Reach first intent "])).json()["outcomes"][0]
    assert outcome["text"] == "Reach first intent"
    assert isinstance(outcome["id"], str) and outcome["id"]


def test_structured_outcomes_are_accepted(client, tenants):
    """PM-INTENTS-CREATE-10: "Strings or structured objects" — {text, priority} keeps both."""
    response = post(client, tenants, valid_body(tenants, outcomes=[{"text": "Reach first intent",
                                                                    "priority": "must"}]))
    assert response.status_code == 201, response.text
    outcome = response.json()["outcomes"][0]
    assert (outcome["text"], outcome["priority"]) == ("Reach first intent", "must")
    assert outcome["id"]


@pytest.mark.parametrize("outcome", ["   ", "", {"text": "  "}], ids=["blank", "empty", "blank-object"])
def test_blank_outcomes_are_rejected(client, tenants, outcome):
    """PM-INTENTS-CREATE-11: "strings must be non-empty after trim" — a blank outcome is 400."""
    assert_validation_error(post(client, tenants, valid_body(tenants, outcomes=[outcome])), "outcomes")
    assert stored_intents(tenants) == 0


def test_constraints_are_trimmed_and_blanks_dropped(client, tenants):
    """PM-INTENTS-CREATE-12: "Coerced to trimmed non-empty strings." (constraints)"""
    body = post(client, tenants, valid_body(tenants, constraints=["  No new signup steps  ", "   "])).json()
    assert body["constraints"] == ["No new signup steps"]


def test_health_metrics_are_trimmed_and_blanks_dropped(client, tenants):
    """PM-INTENTS-CREATE-13: "Coerced to trimmed non-empty strings." (healthMetrics)"""
    body = post(client, tenants, valid_body(tenants, healthMetrics=["  activation_rate ", ""])).json()
    assert body["healthMetrics"] == ["activation_rate"]


@pytest.mark.parametrize("case", [
    {"scenario": "   ", "expectedBehavior": "Show empty state"},
    {"scenario": "No products", "expectedBehavior": " "},
    {"scenario": "No products"},
], ids=["blank-scenario", "blank-expected", "missing-expected"])
def test_edge_case_fields_must_be_non_empty(client, tenants, case):
    """PM-INTENTS-CREATE-14: "Each field non-empty after trim." — 400 {error, details}."""
    assert_validation_error(post(client, tenants, valid_body(tenants, edgeCases=[case])), "edgeCases")
    assert stored_intents(tenants) == 0


def test_edge_cases_are_stored_with_server_ids(client, tenants):
    """PM-INTENTS-CREATE-15: "so edgeCases are populated" — each gets a server-assigned id."""
    case = {"scenario": "User has no products yet", "expectedBehavior": "Show empty-state prompt"}
    edge_cases = post(client, tenants, valid_body(tenants, edgeCases=[case])).json()["edgeCases"]
    assert len(edge_cases) == 1
    assert edge_cases[0]["scenario"] == case["scenario"]
    assert edge_cases[0]["expectedBehavior"] == case["expectedBehavior"]
    assert isinstance(edge_cases[0]["id"], str) and edge_cases[0]["id"]


def test_failed_edge_case_write_leaves_no_intent(client, tenants, settings):
    """PM-INTENTS-CREATE-16: "on failure the just-created intent is deleted and 500 returned." """
    settings.faults = frozenset({"edge_case_store"})
    response = post(client, tenants, valid_body(tenants, title="Doomed intent",
                                                edgeCases=[{"scenario": "s", "expectedBehavior": "e"}]))
    assert response.status_code == 500
    assert isinstance(response.json()["error"], str)
    listed = client.get("/api/v1/intents", headers=tenants.pm_headers()).json()["intents"]
    assert "Doomed intent" not in {i["title"] for i in listed}
    assert stored_intents(tenants) == 0


def test_verification_defaults_to_empty_object(client, tenants):
    """PM-INTENTS-CREATE-17: "defaults to {} if omitted." """
    assert post(client, tenants, valid_body(tenants)).json()["verification"] == {}
    plan = {"manualChecks": ["Try it on a phone"]}
    assert post(client, tenants, valid_body(tenants, verification=plan)).json()["verification"] == plan


def test_problem_severity_is_an_enum(client, tenants):
    """PM-INTENTS-CREATE-18: "Optional severity enum." — 'urgent' is 400; each listed value is echoed."""
    assert_validation_error(post(client, tenants, valid_body(tenants, problemSeverity="urgent")), "problemSeverity")
    for severity in ("low", "medium", "high", "critical"):
        response = post(client, tenants, valid_body(tenants, problemSeverity=severity))
        assert response.status_code == 201 and response.json()["problemSeverity"] == severity


def test_problem_severity_is_optional(client, tenants):
    """PM-INTENTS-CREATE-19: "Optional severity enum." — omitted reads back as null."""
    response = post(client, tenants, valid_body(tenants))
    assert response.status_code == 201 and response.json()["problemSeverity"] is None


@pytest.mark.parametrize("scope,expected", [
    ({"inScope": ["Signup flow"], "outOfScope": ["Billing"]}, {"inScope": ["Signup flow"], "outOfScope": ["Billing"]}),
    (None, None),
    ("omitted", None),
], ids=["object", "null", "omitted"])
def test_scope_is_an_optional_object(client, tenants, scope, expected):
    """PM-INTENTS-CREATE-20: "Optional scope object; may be null." """
    body = valid_body(tenants) if scope == "omitted" else valid_body(tenants, scope=scope)
    response = post(client, tenants, body)
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == expected


def test_fresh_intent_has_no_evidence(client, tenants):
    """PM-INTENTS-CREATE-21: "evidenceIds empty on a fresh create" """
    assert post(client, tenants, valid_body(tenants)).json()["evidenceIds"] == []


def test_rate_limited_per_user(client, tenants, settings):
    """PM-INTENTS-CREATE-22: "intents 200/h" — past the limit, 429 {error} with Retry-After, and
    nothing is created (limit lowered to 3 for the test)."""
    settings.rate_limits["intents"] = (3, 3600)
    for _ in range(3):
        assert post(client, tenants, valid_body(tenants)).status_code == 201
    response = post(client, tenants, valid_body(tenants, title="One too many"))
    assert response.status_code == 429
    assert isinstance(response.json()["error"], str)
    assert int(response.headers["Retry-After"]) > 0
    assert stored_intents(tenants) == 3
    # the bucket is keyed by user: another user of the same workspace may still create
    editor = client.post("/api/v1/intents", json=valid_body(tenants), headers=tenants.pm_headers(name="editor"))
    assert editor.status_code == 201


def test_plan_limit_reached(client, tenants, settings):
    """PM-INTENTS-CREATE-23: "returns 403 with body { error: 'plan_limit_reached', metric:
    'intents', current, limit, plan }" — and creates nothing."""
    settings.plan_limits["pro"]["intents"] = 2
    for _ in range(2):
        new_intent(client, tenants)
    response = post(client, tenants, valid_body(tenants))
    assert response.status_code == 403
    assert response.json() == {"error": "plan_limit_reached", "metric": "intents", "current": 2,
                               "limit": 2, "plan": "pro"}
    assert stored_intents(tenants) == 2


def test_an_unknown_product_is_404_even_when_the_quota_is_reached(client, tenants, settings):
    """PM-INTENTS-CREATE-8 before PM-INTENTS-CREATE-23: the product is checked by the insert
    itself and the quota after it; the order of the answers stays the request's (product first)."""
    settings.plan_limits["pro"]["intents"] = 1
    new_intent(client, tenants)
    response = post(client, tenants, valid_body(tenants, productId=str(uuid.uuid4())))
    assert (response.status_code, response.json()) == (404, {"error": "Product not found"})
    assert stored_intents(tenants) == 1


def outbox(kind: str) -> list[OutboxEvent]:
    with database.connection_context():
        return list(OutboxEvent.select().where(OutboxEvent.kind == kind))


def test_create_notifies_slack(client, tenants):
    """PM-INTENTS-CREATE-24: "Fires a Slack 'intent_status_changed' notification" — one outbox
    record for the new intent."""
    intent = new_intent(client, tenants)
    events = [e for e in outbox("intent_status_changed") if e.subject_id == intent["id"]]
    assert len(events) == 1
    assert events[0].channel == "slack"
    assert events[0].payload["status"] == "draft"


def test_create_succeeds_when_the_notifier_fails(client, tenants, settings):
    """PM-INTENTS-CREATE-24: "Fires a Slack 'intent_status_changed' notification" (fire-and-forget)
    — a failing notifier neither fails nor slows the create."""
    settings.faults = frozenset({"notifier"})
    started = time.monotonic()
    response = post(client, tenants, valid_body(tenants))
    assert response.status_code == 201
    assert time.monotonic() - started < 5
    assert outbox("intent_status_changed") == []
    assert stored_intents(tenants) == 1

"""Pathmode verification: POST /api/v1/intents/{id}/verify with the local grading engine."""

from __future__ import annotations

import pytest

from handlers.pathmode.engines._text import terms
from handlers.pathmode.engines.grading import GradingItem, GradingRequest, LocalGradingEngine
from tests.pathmode._part2 import assert_json_error, random_id
from tests.support import new_intent

SPEC = {
    "title": "Password reset",
    "objective": "Let users recover access without contacting support",
    "outcomes": ["Users can reset password from the login screen", "Reset email arrives within a minute"],
    "constraints": ["Reset tokens expire after one hour"],
    "edgeCases": [{"scenario": "Expired token", "expectedBehavior": "Show a clear expiry message"}],
}
# workspace A has two active rules; the spec items are 2 outcomes + 1 constraint + 1 edge case
ITEMS = 2 + 1 + 2 + 1


def verify(client, tenants, intent_id, body, workspace="ws-a"):
    return client.post(f"/api/v1/intents/{intent_id}/verify", json=body, headers=tenants.pm_headers(workspace))


def notes(client, tenants, intent_id):
    response = client.get(f"/api/v1/intents/{intent_id}/notes", headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    return [n for n in response.json()["notes"] if n["source"] == "verification_checkpoint"]


@pytest.fixture
def intent(client, tenants):
    return new_intent(client, tenants, **SPEC)


def test_returns_verification_result(client, tenants, intent):
    """PM-VERIFY-1: "AI-grade an implementation against the intent spec." """
    response = verify(client, tenants, intent["id"], {"summary": "Added reset link"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"pass", "score", "results", "summary"}
    assert isinstance(body["pass"], bool) and isinstance(body["score"], int | float)
    assert isinstance(body["results"], list) and isinstance(body["summary"], str) and body["summary"]


def test_one_result_per_spec_item(client, tenants, intent):
    """PM-VERIFY-2: "Evaluates each outcome, constraint, constitution rule, and edge case" """
    results = verify(client, tenants, intent["id"], {"summary": "Added reset link"}).json()["results"]
    assert len(results) == ITEMS
    assert [r["category"] for r in results].count("outcome") == 2
    assert [r["category"] for r in results].count("constraint") == 1
    assert [r["category"] for r in results].count("constitution") == 2
    assert [r["category"] for r in results].count("edge_case") == 1
    items = {r["item"] for r in results}
    assert {"Users can reset password from the login screen", "Reset tokens expire after one hour",
            "Never log raw PII."} <= items


def test_result_item_shape(client, tenants, intent):
    """PM-VERIFY-3: "item": "Users can reset password from the login screen" """
    results = verify(client, tenants, intent["id"], {"summary": "Added reset link"}).json()["results"]
    for result in results:
        assert set(result) == {"item", "category", "status", "reasoning"}
        assert all(isinstance(value, str) and value for value in result.values())
    assert results[0]["item"] == "Users can reset password from the login screen"


SUMMARIES = [
    "Added reset link",
    "Users can reset their password from the login screen; the reset email arrives within a minute.",
    "We did not add password reset to the login screen. Tokens never expire.",
    "Refactored billing.",
]


@pytest.mark.parametrize("summary", SUMMARIES)
def test_categories_and_statuses_are_enums(client, tenants, intent, summary):
    """PM-VERIFY-4: "category enum is outcome|constraint|constitution|edge_case"
    PM-VERIFY-5: "status enum is pass|fail|unclear" """
    for result in verify(client, tenants, intent["id"], {"summary": summary}).json()["results"]:
        assert result["category"] in ("outcome", "constraint", "constitution", "edge_case")
        assert result["status"] in ("pass", "fail", "unclear")


@pytest.mark.parametrize("summary", SUMMARIES)
def test_pass_only_with_zero_fails(client, tenants, intent, summary):
    """PM-VERIFY-6: "pass is true only when zero items fail" """
    body = verify(client, tenants, intent["id"], {"summary": summary}).json()
    assert body["pass"] is not any(r["status"] == "fail" for r in body["results"])


def test_verdicts_follow_the_summary(client, tenants, intent):
    """The local engine: a summary that covers an item passes it, one that negates it fails it,
    one that does not mention it leaves it unclear (and unclear alone keeps pass true)."""
    covered = verify(client, tenants, intent["id"], {"summary": SUMMARIES[1]}).json()
    by_item = {r["item"]: r for r in covered["results"]}
    assert by_item["Users can reset password from the login screen"]["status"] == "pass"
    assert "login screen" in by_item["Users can reset password from the login screen"]["reasoning"]
    assert by_item["Keep forms short."]["status"] == "unclear"
    negated = verify(client, tenants, intent["id"], {"summary": SUMMARIES[2]}).json()
    by_item = {r["item"]: r for r in negated["results"]}
    assert by_item["Users can reset password from the login screen"]["status"] == "fail"
    assert negated["pass"] is False
    silent = verify(client, tenants, intent["id"], {"summary": "Refactored billing."}).json()
    assert {r["status"] for r in silent["results"]} == {"unclear"} and silent["pass"] is True


@pytest.mark.parametrize("summary", SUMMARIES)
def test_score_counts_unclear_as_half(client, tenants, intent, summary):
    """PM-VERIFY-7: "unclear counts as half credit toward score (0-100)" """
    body = verify(client, tenants, intent["id"], {"summary": summary}).json()
    statuses = [r["status"] for r in body["results"]]
    expected = round(100 * (statuses.count("pass") + 0.5 * statuses.count("unclear")) / len(statuses))
    assert 0 <= body["score"] <= 100 and body["score"] == expected


def test_score_extremes():
    """PM-VERIFY-7: all-pass gives 100, all-unclear 50, all-fail 0."""
    from handlers.pathmode._verification import score_of

    assert score_of([{"status": "pass"}] * 3) == 100
    assert score_of([{"status": "unclear"}] * 3) == 50
    assert score_of([{"status": "fail"}] * 3) == 0


def test_result_stored_and_updated_at_moves(client, tenants, intent):
    """PM-VERIFY-8: "writes verification_result + updated_at on intent_specs" """
    before = client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json()["updatedAt"]
    body = verify(client, tenants, intent["id"], {"summary": "Added reset link"}).json()
    after = client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json()["updatedAt"]
    assert after > before
    from handlers.pathmode.store import Intent
    from spec_server.db import database

    with database.connection_context():
        assert Intent.get_by_id(intent["id"]).verification_result == body


def test_logs_a_verification_checkpoint_note(client, tenants, intent):
    """PM-VERIFY-9: "inserts an intent_implementation_notes row with source 'verification_checkpoint'" """
    assert notes(client, tenants, intent["id"]) == []
    body = verify(client, tenants, intent["id"], {"summary": "Added reset link"}).json()
    logged = notes(client, tenants, intent["id"])
    assert len(logged) == 1 and f"score {body['score']}" in logged[0]["note"]


@pytest.mark.parametrize("body", [{"summary": "   "}, {}, {"codeChanges": "diff"}], ids=["blank", "empty", "no-summary"])
def test_summary_required(client, tenants, intent, body):
    """PM-VERIFY-10: "Trimmed, must be non-empty." """
    assert_json_error(verify(client, tenants, intent["id"], body), 400)
    assert notes(client, tenants, intent["id"]) == []


def test_only_first_15000_characters_of_code_count(client, tenants, intent):
    """PM-VERIFY-11: "first 15000 chars are included in the AI prompt" """
    filler = "x = 1\n" * (15_000 // 6)
    head = filler[:15_000]
    plain = verify(client, tenants, intent["id"], {"summary": "Refactor", "codeChanges": head + "y" * 85_000})
    assert plain.status_code == 200
    tail = "\n# Users can reset password from the login screen; reset email arrives within a minute\n"
    padded = head + tail + "y" * (100_000 - 15_000 - len(tail))
    assert len(padded) == 100_000
    changed = verify(client, tenants, intent["id"], {"summary": "Refactor", "codeChanges": padded})
    assert changed.status_code == 200
    assert changed.json()["results"] == plain.json()["results"]
    # the same text inside the first 15000 characters does change the verdict
    inside = verify(client, tenants, intent["id"], {"summary": "Refactor", "codeChanges": tail + head})
    assert inside.json()["results"] != plain.json()["results"]


def test_engine_failure_is_503(client, tenants, intent, settings):
    """PM-VERIFY-12: "AI verification service temporarily unavailable" """
    settings.faults = frozenset({"grading_engine"})
    assert_json_error(verify(client, tenants, intent["id"], {"summary": "Added reset link"}), 503)
    assert notes(client, tenants, intent["id"]) == []


def test_engine_off_is_503(client, tenants, intent, monkeypatch):
    """PM-VERIFY-12: a grading service that is not configured answers 503 too."""
    monkeypatch.setenv("PATHMODE_GRADING_ENGINE", "off")
    assert_json_error(verify(client, tenants, intent["id"], {"summary": "Added reset link"}), 503)


class FixedEngine:
    """A stand-in hosted engine, plugged in by configuration."""

    def grade(self, request):
        return {"results": [{"item": i.text, "category": i.category, "status": "unclear", "reasoning": "hosted"}
                            for i in request.items], "summary": "graded elsewhere"}


def test_hosted_engine_plugs_in_by_configuration(client, tenants, intent, monkeypatch):
    """The issue: "a hosted engine plugs in by configuration"."""
    monkeypatch.setenv("PATHMODE_GRADING_ENGINE", f"{__name__}:FixedEngine")
    body = verify(client, tenants, intent["id"], {"summary": "Added reset link"}).json()
    assert body["summary"] == "graded elsewhere" and body["score"] == 50 and body["pass"] is True


def test_foreign_or_unknown_intent_404(client, tenants):
    """PM-VERIFY-13: "Intent not found in this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (foreign["id"], random_id()):
        assert_json_error(verify(client, tenants, intent_id, {"summary": "Added reset link"}), 404)


def test_local_engine_is_deterministic():
    """The issue: "The local engine is deterministic (same input, same result)"."""
    request = GradingRequest((GradingItem("Never log raw PII", "constitution"),
                              GradingItem("Users can reset password", "outcome")),
                             "We never log raw PII. Users can reset their password.", "+ def reset_password(): ...")
    first = LocalGradingEngine().grade(request)
    assert all(LocalGradingEngine().grade(request) == first for _ in range(5))
    assert [r["status"] for r in first["results"]] == ["pass", "pass"]
    assert terms("resetPassword reset_passwords") == ["reset", "password"]


# --- bounded work -------------------------------------------------------------------------

import threading  # noqa: E402

from handlers.pathmode.engines.grading import POSTINGS_PER_TERM, SUMMARY_CHARS, Evidence, passages  # noqa: E402
from spec_server import engine_pool  # noqa: E402

GATE = threading.Event()
STARTED = threading.Event()


class GatedEngine(LocalGradingEngine):
    """Grades once the test opens the gate, so a call can be held in the pool."""

    def grade(self, request):
        STARTED.set()
        assert GATE.wait(10)
        return super().grade(request)


def gated_engine():
    return GatedEngine()


def test_a_summary_over_its_limit_is_400_naming_it_and_stores_nothing(client, tenants, intent):
    response = verify(client, tenants, intent["id"], {"summary": "x" * (SUMMARY_CHARS + 1)})
    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["summary"]
    assert notes(client, tenants, intent["id"]) == []


def test_the_engine_reads_the_summary_up_to_its_cap():
    """Direct callers (and a document without the limit) still cost no more than the cap."""
    filler = "Nothing relevant here. " * (SUMMARY_CHARS // 23 + 1)
    late = filler + "Users can reset password from the login screen."
    item = GradingItem("Users can reset password from the login screen", "outcome")
    [result] = LocalGradingEngine().grade(GradingRequest((item,), late, ""))["results"]
    assert result["status"] == "unclear"  # the deciding sentence lies past the cap


def test_a_term_counts_in_its_first_passages_only():
    found = passages(" ".join(f"Alpha {i}." for i in range(POSTINGS_PER_TERM + 10)) + " Alpha beta.", "")
    evidence = Evidence(found)
    assert len(evidence.postings["alpha"]) == POSTINGS_PER_TERM
    assert evidence.best(["alpha"]) is found[0]  # the first passage wins ties
    # past alpha's cap, "Alpha beta." counts only beta: it ties with "Alpha 0." and the first wins
    assert evidence.best(["alpha", "beta"]) is found[0]
    assert evidence.best(["beta"]).text == "Alpha beta."


def _verify_in_thread(client, tenants, intent_id, answers, workspace="ws-a"):
    thread = threading.Thread(target=lambda: answers.append(
        verify(client, tenants, intent_id, {"summary": "Added a reset link"}, workspace)))
    thread.start()
    return thread


def test_one_verification_per_workspace_at_a_time(client, tenants, intent, monkeypatch):
    """The second concurrent call of a workspace is 503 with Retry-After and writes nothing;
    another workspace's call and reads go on meanwhile."""
    monkeypatch.setenv("PATHMODE_GRADING_ENGINE", "tests.pathmode.test_verify:gated_engine")
    GATE.clear()
    STARTED.clear()
    held: list = []
    thread = _verify_in_thread(client, tenants, intent["id"], held)
    try:
        assert STARTED.wait(10)
        second = verify(client, tenants, intent["id"], {"summary": "Added a reset link"})
        assert second.status_code == 503 and second.headers["Retry-After"] == "5"
        assert second.json() == {"error": "This workspace already has a verification running; try again shortly"}
        assert client.get("/api/v1/workspace", headers=tenants.pm_headers("ws-b")).status_code == 200
        other = new_intent(client, tenants, "ws-b")
        monkeypatch.setenv("PATHMODE_GRADING_ENGINE", "local")
        assert verify(client, tenants, other["id"], {"summary": "Done"}, "ws-b").status_code == 200
    finally:
        GATE.set()
        thread.join(10)
    assert held[0].status_code == 200
    assert len(notes(client, tenants, intent["id"])) == 1  # the refused call stored nothing


def test_a_full_pool_refuses_at_once(client, tenants, intent, monkeypatch):
    monkeypatch.setattr(engine_pool, "POOL", engine_pool.EnginePool(1, 1, 0, 30))
    monkeypatch.setenv("PATHMODE_GRADING_ENGINE", "tests.pathmode.test_verify:gated_engine")
    GATE.clear()
    STARTED.clear()
    held: list = []
    thread = _verify_in_thread(client, tenants, intent["id"], held)
    try:
        assert STARTED.wait(10)
        other = new_intent(client, tenants, "ws-b")
        refused = verify(client, tenants, other["id"], {"summary": "Done"}, "ws-b")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json() == {"error": "The verification engine is busy; try again shortly"}
        stored = client.get(f"/api/v1/intents/{other['id']}/notes", headers=tenants.pm_headers("ws-b")).json()
        assert [n for n in stored["notes"] if n["source"] == "verification_checkpoint"] == []
    finally:
        GATE.set()
        thread.join(10)
    assert held[0].status_code == 200


def test_verify_waits_apart_from_the_request_threads():
    from handlers.pathmode import intents
    from spec_server import offload

    assert offload.runner_for(intents.post_intents_id_verify) is offload.run_apart


def test_the_slot_taken_before_the_body_is_read_is_given_back_however_the_request_ends(client, tenants, intent):
    for _ in range(3):  # refused by the schema after the security step took the workspace's slot
        assert verify(client, tenants, intent["id"], {"codeChanges": "no summary"}).status_code == 400
    assert verify(client, tenants, "00000000-0000-4000-8000-000000000000", {"summary": "x"}).status_code == 404
    assert verify(client, tenants, intent["id"], {"summary": "Added a reset link"}).status_code == 200
    assert engine_pool.POOL._total == 0 and engine_pool.POOL._by_tenant == {}


def test_a_refused_call_closes_its_connection_unread(client, tenants, intent, monkeypatch):
    monkeypatch.setattr(engine_pool, "POOL", engine_pool.EnginePool(1, 1, 0, 30))
    slot = engine_pool.POOL.reserve(tenants.pm_workspace_id())  # the workspace's call is in flight
    try:
        refused = verify(client, tenants, intent["id"], {"summary": "Added a reset link"})
    finally:
        slot.release()
    assert refused.status_code == 503 and refused.headers["connection"] == "close"
    assert notes(client, tenants, intent["id"]) == []

"""Where the Pathmode document's schemas contradict its own descriptions or examples, the server
follows the words (overlay corrections, see docs/behaviour.md) (PM-SCHEMA-CONFLICT-*)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from handlers.pathmode.store import ConstitutionRule, Workspace
from spec_server.db import database
from tests.support import INTENT_KEYS, new_intent

CASE = {"scenario": "User has no products yet", "expectedBehavior": "Show empty-state prompt"}


def create(client, tenants, **fields):
    body = {"title": "Speed up onboarding", "objective": "First value in ten minutes",
            "productId": tenants.pm_product_id(), **fields}
    return client.post("/api/v1/intents", json=body, headers=tenants.pm_headers())


def patch(client, tenants, intent_id, body):
    return client.patch(f"/api/v1/intents/{intent_id}", json=body, headers=tenants.pm_headers())


def assert_400(response):
    assert response.status_code == 400, (response.status_code, response.text)
    assert isinstance(response.json()["error"], str)
    return response.json()


def new_evidence(client, tenants) -> str:
    response = client.post("/api/v1/evidence", json={"content": "Users drop at step 3", "type": "friction",
                                                      "productId": tenants.pm_product_id()},
                           headers=tenants.pm_headers())
    assert response.status_code == 201, response.text
    return response.json()["id"]


# --- intents: request schemas typed as strings where the words say object ---------------------

@pytest.mark.parametrize("scope", [{"inScope": ["Signup flow"], "outOfScope": ["Billing"]}, None])
def test_post_scope_is_an_object_or_null(client, tenants, scope):
    """PM-SCHEMA-CONFLICT-1: "Optional scope object; may be null." — object and null are 201."""
    response = create(client, tenants, scope=scope)
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == scope


def test_post_scope_string_is_rejected(client, tenants):
    """PM-SCHEMA-CONFLICT-1: "Optional scope object; may be null." — the upstream `string` type is
    not what the runtime accepts."""
    assert_400(create(client, tenants, scope="Signup flow only"))


def test_patch_scope_is_a_nullable_object(client, tenants):
    """PM-SCHEMA-CONFLICT-2: "Nullable scope object." """
    intent = new_intent(client, tenants)
    scope = {"inScope": ["a"], "outOfScope": []}
    assert patch(client, tenants, intent["id"], {"scope": scope}).json()["scope"] == scope
    response = patch(client, tenants, intent["id"], {"scope": None})
    assert response.status_code == 200 and response.json()["scope"] is None
    assert_400(patch(client, tenants, intent["id"], {"scope": "a"}))


def test_patch_evidence_anchors_is_a_map_of_arrays(client, tenants):
    """PM-SCHEMA-CONFLICT-3: "Map of anchor key (e.g. 'objective', 'outcome:0', 'edgeCase:<uuid>') to
    evidence id arrays." — an object is 200, a plain string 400."""
    intent = new_intent(client, tenants)
    evidence_id = new_evidence(client, tenants)
    response = patch(client, tenants, intent["id"], {"evidenceAnchors": {"objective": [evidence_id]}})
    assert response.status_code == 200
    assert response.json()["evidenceAnchors"] == {"objective": [evidence_id]}
    assert_400(patch(client, tenants, intent["id"], {"evidenceAnchors": "objective"}))
    assert_400(patch(client, tenants, intent["id"], {"evidenceAnchors": {"objective": evidence_id}}))


def test_post_edge_cases_are_objects(client, tenants):
    """PM-SCHEMA-CONFLICT-4: "Each field non-empty after trim." — items are {scenario,
    expectedBehavior}, not strings."""
    response = create(client, tenants, edgeCases=[CASE])
    assert response.status_code == 201, response.text
    assert {k: response.json()["edgeCases"][0][k] for k in CASE} == CASE
    assert_400(create(client, tenants, edgeCases=["User has no products yet"]))


def test_patch_edge_cases_are_objects(client, tenants):
    """PM-SCHEMA-CONFLICT-5: "Replace-all semantics via replaceIntentEdgeCasesRpc" — PATCH takes the
    same {scenario, expectedBehavior} items."""
    intent = new_intent(client, tenants)
    response = patch(client, tenants, intent["id"], {"edgeCases": [CASE]})
    assert response.status_code == 200, response.text
    assert [{k: c[k] for k in CASE} for c in response.json()["edgeCases"]] == [CASE]
    assert_400(patch(client, tenants, intent["id"], {"edgeCases": ["plain string"]}))


def test_post_outcomes_take_structured_objects(client, tenants):
    """PM-SCHEMA-CONFLICT-6: "Strings or structured objects" — a plain string gets the default
    priority 'must' (docs/behaviour.md), so every outcome has the example's {id, text, priority}."""
    response = create(client, tenants, outcomes=[{"text": "Reach first intent", "priority": "must"}, "Plain"])
    assert response.status_code == 201, response.text
    assert [(o["text"], o.get("priority")) for o in response.json()["outcomes"]] == [
        ("Reach first intent", "must"), ("Plain", "must")]


def test_patch_outcomes_take_structured_objects(client, tenants):
    """PM-SCHEMA-CONFLICT-7: "Replaces both outcomes_v2 and the flat outcomes text list." """
    intent = new_intent(client, tenants)
    response = patch(client, tenants, intent["id"], {"outcomes": [{"text": "B", "priority": "must"}]})
    assert response.status_code == 200, response.text
    [outcome] = response.json()["outcomes"]
    assert (outcome["text"], outcome["priority"]) == ("B", "must") and outcome["id"]


def test_patch_problem_severity_accepts_null(client, tenants):
    """PM-SCHEMA-CONFLICT-8: "Nullable severity enum." """
    intent = new_intent(client, tenants, problemSeverity="low")
    response = patch(client, tenants, intent["id"], {"problemSeverity": None})
    assert response.status_code == 200 and response.json()["problemSeverity"] is None


def test_patch_requires_a_field_though_the_body_is_optional(client, tenants):
    """PM-SCHEMA-CONFLICT-12: "Requires at least one updatable field (otherwise 400)." — {} and no
    body at all get the documented message."""
    intent = new_intent(client, tenants)
    for response in (patch(client, tenants, intent["id"], {}),
                     client.patch(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers())):
        assert assert_400(response)["error"] == "At least one field must be provided to update"


# --- undeclared workspace_id and 400s ---------------------------------------------------------

def test_evidence_link_takes_workspace_id_for_cookie_sessions(client, tenants):
    """PM-SCHEMA-CONFLICT-9: "Cookie-session auth requires ?workspace_id=" — with it 200, without it 400."""
    intent = new_intent(client, tenants)
    evidence_id = new_evidence(client, tenants)
    path = f"/api/v1/intents/{intent['id']}/evidence"
    assert_400(client.post(path, json={"link": [evidence_id]}, cookies=tenants.pm_session()))
    response = client.post(path, params={"workspace_id": tenants.pm_workspace_id()}, json={"link": [evidence_id]},
                           cookies=tenants.pm_session())
    assert response.status_code == 200, response.text
    assert response.json()["evidenceIds"] == [evidence_id]


def test_verify_takes_workspace_id_for_cookie_sessions(client, tenants):
    """PM-SCHEMA-CONFLICT-10: "api-key-or-cookie" — verify accepts ?workspace_id= like its siblings,
    and a cookie request without it is 400."""
    intent = new_intent(client, tenants)
    path = f"/api/v1/intents/{intent['id']}/verify"
    body = {"summary": "New users reach their first intent in under 10 minutes."}
    assert_400(client.post(path, json=body, cookies=tenants.pm_session()))
    response = client.post(path, params={"workspace_id": tenants.pm_workspace_id()}, json=body,
                           cookies=tenants.pm_session())
    assert response.status_code == 200, response.text
    assert {"pass", "score", "results", "summary"} <= set(response.json())


@pytest.mark.parametrize("body", [{}, {"link": []}, {"unlink": []}, {"link": [], "unlink": []}, None],
                         ids=["empty", "empty-link", "empty-unlink", "both-empty", "no-body"])
def test_evidence_link_needs_a_non_empty_list(client, tenants, body):
    """PM-SCHEMA-CONFLICT-11: "At least one of link/unlink must be a non-empty array." """
    intent = new_intent(client, tenants)
    path = f"/api/v1/intents/{intent['id']}/evidence"
    response = (client.post(path, headers=tenants.pm_headers()) if body is None
                else client.post(path, json=body, headers=tenants.pm_headers()))
    assert_400(response)


# --- "non-empty after trim" fields carry no minLength upstream --------------------------------

NON_EMPTY = [
    ("POST", "/api/v1/intents", "title"),
    ("POST", "/api/v1/intents", "objective"),
    ("POST", "/api/v1/intents", "productId"),
    ("PATCH", "/api/v1/intents/{id}", "title"),
    ("PATCH", "/api/v1/intents/{id}", "objective"),
    ("POST", "/api/v1/intents/{id}/notes", "note"),
    ("POST", "/api/v1/intents/{id}/findings", "assumption"),
    ("POST", "/api/v1/intents/{id}/findings", "finding"),
    ("POST", "/api/v1/intents/{id}/findings", "target"),
    ("POST", "/api/v1/intents/{id}/findings", "correction"),
    ("POST", "/api/v1/intents/{id}/findings", "source"),
    ("POST", "/api/v1/intents/{id}/verify", "summary"),
    ("POST", "/api/v1/evidence", "content"),
    ("POST", "/api/v1/intents/{id}/outcomes", "outcomeText"),
    ("POST", "/api/v1/intents/{id}/outcomes", "actualValue"),
]


def base_body(path: str, tenants) -> dict:
    return {
        "/api/v1/intents": {"title": "t", "objective": "o", "productId": tenants.pm_product_id()},
        "/api/v1/intents/{id}": {"title": "t"},
        "/api/v1/intents/{id}/notes": {"note": "n"},
        "/api/v1/intents/{id}/findings": {"assumption": "a", "finding": "f"},
        "/api/v1/intents/{id}/verify": {"summary": "s"},
        "/api/v1/evidence": {"content": "c", "type": "friction", "productId": tenants.pm_product_id()},
        "/api/v1/intents/{id}/outcomes": {"outcomeIndex": 0, "outcomeText": "t", "actualValue": "1"},
    }[path]


@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
@pytest.mark.parametrize("method,path,field", NON_EMPTY, ids=[f"{m} {p} {f}" for m, p, f in NON_EMPTY])
def test_non_empty_after_trim_fields(client, tenants, method, path, field, value):
    """PM-SCHEMA-CONFLICT-13: "Non-empty after trim." — '' and '   ' are 400 though the upstream
    schema has no minLength or pattern."""
    intent = new_intent(client, tenants)
    body = {**base_body(path, tenants), field: value}
    # outcomes is cookie-session only; every other operation takes the key
    credentials = ({"cookies": tenants.pm_session()} if path.endswith("/outcomes")
                   else {"headers": tenants.pm_headers()})
    response = client.request(method, path.replace("{id}", intent["id"]), json=body, **credentials)
    assert_400(response)
    padded = f" {tenants.pm_product_id()} " if field == "productId" else f" {field} value "
    valid = client.request(method, path.replace("{id}", intent["id"]),
                           json={**base_body(path, tenants), field: padded}, **credentials)
    assert valid.status_code in (200, 201), valid.text  # the same body with a real value passes


# --- free strings that are really enums --------------------------------------------------------

@pytest.mark.parametrize("params", [{"type": "bug"}, {"severity": "urgent"}, {"type": "Friction"}])
def test_evidence_list_filters_are_enums(client, tenants, params):
    """PM-SCHEMA-CONFLICT-14: "400 if invalid." — type/severity outside their lists are 400."""
    assert_400(client.get("/api/v1/evidence", params=params, headers=tenants.pm_headers()))
    listed = client.get("/api/v1/evidence", params={"type": "friction", "severity": "low"},
                        headers=tenants.pm_headers())
    assert listed.status_code == 200


@pytest.mark.parametrize("field,value", [("type", "bug"), ("severity", "urgent"), ("sentiment", "angry")])
def test_evidence_body_enums(client, tenants, field, value):
    """PM-SCHEMA-CONFLICT-15: "One of friction | quote | observation | metric | request." — and the
    severity and sentiment lists: anything else is 400."""
    body = {"content": "c", "type": "friction", "productId": tenants.pm_product_id(), field: value}
    assert_400(client.post("/api/v1/evidence", json=body, headers=tenants.pm_headers()))


@pytest.mark.parametrize("value", ["docx", "CLAUDE-MD", "claude", ""])
def test_export_format_is_an_enum(client, tenants, value):
    """PM-SCHEMA-CONFLICT-16: "Any other value yields 400." """
    new_intent(client, tenants)
    assert_400(client.get("/api/v1/export", params={"format": value}, headers=tenants.pm_headers()))


@pytest.mark.parametrize("scopes", [[], ["superuser"], ["read", "owner"]])
def test_api_key_scopes_are_a_non_empty_subset(client, tenants, scopes):
    """PM-SCHEMA-CONFLICT-17: "Subset of read | write | admin." — [] and unknown values are 400."""
    body = {"name": "ci", "workspaceId": tenants.pm_workspace_id(), "scopes": scopes}
    assert_400(client.post("/api/v1/api-keys", json=body, cookies=tenants.pm_session()))
    ok = client.post("/api/v1/api-keys", json={**body, "scopes": ["read"]}, cookies=tenants.pm_session())
    assert ok.status_code == 201, ok.text


def test_findings_status_filter_and_workspace_id_400(client, tenants):
    """PM-SCHEMA-CONFLICT-18: "Optional exact-match filter on finding status." — ?status=bogus and a
    cookie request without workspace_id are 400 {error}, undeclared upstream."""
    intent = new_intent(client, tenants)
    path = f"/api/v1/intents/{intent['id']}/findings"
    assert_400(client.get(path, params={"status": "bogus"}, headers=tenants.pm_headers()))
    assert_400(client.get(path, cookies=tenants.pm_session()))
    assert client.get(path, params={"status": "open"}, headers=tenants.pm_headers()).status_code == 200
    assert client.get(path, params={"workspace_id": tenants.pm_workspace_id()},
                      cookies=tenants.pm_session()).status_code == 200


WORKSPACE_ID_OPS = [("GET", "/api/v1/intents/{id}/prompt"), ("POST", "/api/v1/intents/{id}/share"),
                    ("DELETE", "/api/v1/intents/{id}/share"), ("POST", "/api/v1/evidence")]


@pytest.mark.parametrize("method,path", WORKSPACE_ID_OPS, ids=[f"{m} {p}" for m, p in WORKSPACE_ID_OPS])
def test_cookie_sessions_need_workspace_id(client, tenants, method, path):
    """PM-SCHEMA-CONFLICT-19: "Required only when authenticating via session cookie (ignored for
    API-key auth)." — without it 400 {error}; with it the request succeeds."""
    intent = new_intent(client, tenants)
    url = path.replace("{id}", intent["id"])
    body = ({"content": "c", "type": "friction", "productId": tenants.pm_product_id()}
            if path == "/api/v1/evidence" else None)
    assert_400(client.request(method, url, json=body, cookies=tenants.pm_session()))
    ok = client.request(method, url, json=body, params={"workspace_id": tenants.pm_workspace_id()},
                        cookies=tenants.pm_session())
    assert ok.status_code in (200, 201), ok.text
    ignored = client.request(method, url, json=body, params={"workspace_id": "not-a-workspace"},
                             headers=tenants.pm_headers())
    assert ignored.status_code in (200, 201), ignored.text  # a key brings its own workspace


# --- response documents and examples ---------------------------------------------------------

@pytest.mark.parametrize("export_format,content_type", [
    ("claude-md", "text/markdown"), ("agents-md", "text/markdown"), ("intent-md", "text/markdown"),
    ("cursorrules", "text/plain")])
def test_export_content_types(client, tenants, export_format, content_type):
    """PM-SCHEMA-CONFLICT-20: "File generated; body is markdown/plaintext (see Content-Type), not
    JSON." — markdown formats are served as text/markdown (declared by the runtime document, so
    response validation passes)."""
    new_intent(client, tenants)
    response = client.get("/api/v1/export", params={"format": export_format}, headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == content_type
    assert "charset=utf-8" in response.headers["content-type"]


def test_product_without_manifest_has_no_manifest_key(client, tenants):
    """PM-SCHEMA-CONFLICT-21: "manifest": null — the example shows null, the description says
    omitted when falsy: the key is absent."""
    products = client.get("/api/v1/workspace", headers=tenants.pm_headers()).json()["products"]
    assert products and all("manifest" not in product for product in products)


def test_export_body_is_the_file_not_the_example(client, tenants):
    """PM-SCHEMA-CONFLICT-23: "# (success responses are NOT JSON — body is the generated
    markdown/plaintext file)" — the 200 example is an annotation; the real body is the file."""
    new_intent(client, tenants)
    body = client.get("/api/v1/export", params={"format": "claude-md"}, headers=tenants.pm_headers()).text
    assert body.startswith(("<!-- PATHMODE:WARNINGS", "# Pathmode Intent Context"))
    assert "success responses are NOT JSON" not in body
    assert "# Pathmode Intent Context" in body and "Speed up onboarding" in body


class ExampleGradingEngine:
    """The verify example's two results (pass + unclear), as a hosted engine would return them."""

    def grade(self, request):
        return {"results": [
            {"item": "Users can reset password from the login screen", "category": "outcome", "status": "pass",
             "reasoning": "The summary describes a reset link."},
            {"item": "No PII is written to logs", "category": "constitution", "status": "unclear",
             "reasoning": "Logging is not mentioned."},
        ], "summary": "Core flow done."}


def test_verify_score_uses_half_credit_not_the_example(client, tenants, monkeypatch):
    """PM-SCHEMA-CONFLICT-24: "score": 72 — the example pairs 72 with [pass, unclear]; the formula
    (unclear = half credit) gives 75, and with no fail the verdict is a pass."""
    monkeypatch.setenv("PATHMODE_GRADING_ENGINE", f"{__name__}:ExampleGradingEngine")
    intent = new_intent(client, tenants)
    response = client.post(f"/api/v1/intents/{intent['id']}/verify", json={"summary": "Reset link added."},
                           headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["pass", "unclear"]
    assert (response.json()["score"], response.json()["pass"]) == (75, True)


# --- analyze-codebase (hosted analysis, local engine) -----------------------------------------

def bind_repository(tenants, path) -> None:
    (path / "src").mkdir()
    (path / "src" / "onboarding.py").write_text("def first_intent(user):\n    return user.create_intent()\n")
    (path / "README.md").write_text("# Demo app\nOnboarding creates the first intent.\n")
    if shutil.which("git"):  # a local repository the analysis can clone, as a hosted one would
        git = ["git", "-C", str(path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-qm", "init"], check=True)
    with database.connection_context():
        Workspace.update(repository=str(path), flags={"implementation_context_enabled": True}).where(
            Workspace.id == tenants.pm_workspace_id()).execute()
        ConstitutionRule.update(is_active=True).execute()


def test_analyze_updated_spec_is_the_full_intent_shape(client, tenants, tmp_path):
    """PM-SCHEMA-CONFLICT-22: "updatedSpec is the full mapIntentRowToApiIntent shape." — the full
    GET /intents/{id} key set, not the example's shorter one."""
    bind_repository(tenants, tmp_path)
    intent = new_intent(client, tenants)
    response = client.post(f"/api/v1/intents/{intent['id']}/analyze-codebase", cookies=tenants.pm_session())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    specs = [event["updatedSpec"] for event in events if "updatedSpec" in event]
    assert specs, events
    assert set(specs[-1]) == INTENT_KEYS
    fetched = client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json()
    assert specs[-1] == fetched

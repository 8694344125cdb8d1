"""Pathmode codebase analysis: POST /api/v1/intents/{id}/analyze-codebase, with the local
analysis engine over a real git repository made in a temporary folder."""

from __future__ import annotations

import json
import re
import tempfile
import threading

import httpx
import pytest

from handlers.pathmode.engines.analysis import LocalAnalysisEngine, repo_identity
from handlers.pathmode.store import Membership, User
from spec_server import clock
from tests.pathmode import _part2
from tests.pathmode._part2 import analysis_tenants, assert_json_error, git_repo, random_id, update_workspace
from tests.support import new_intent

FILES = {
    "src/auth/password_reset.py": '"""Password reset: tokens and the reset email."""\n'
                                  "def send_reset_email(user):\n    token = new_reset_token(user)\n"
                                  "    mail(user.email, token)\n",
    "src/auth/login.py": '"""Login screen handlers."""\ndef login(request):\n    return render("login")\n',
    "src/billing/invoice.py": '"""Invoices."""\ndef total(lines):\n    return sum(lines)\n',
    "tests/test_password_reset.py": "def test_reset_email():\n    assert send_reset_email\n",
    "README.md": "# Acme\n",
}
SPEC = {
    "title": "Password reset from the login screen",
    "objective": "Let users recover access without contacting support",
    "outcomes": ["Users can reset their password from the login screen"],
    "edgeCases": [{"scenario": "Expired token", "expectedBehavior": "Show an expiry message"}],
}
live_server = _part2.live_server  # fixture: the app on a real socket
PHASES = ("cloning", "analyzing", "writing", "done")
EVENT_KEYS = {"phase", "message", "partialResult", "updatedSpec", "error"}
CONTEXT_KEYS = {"relevantAreas", "currentBehavior", "liftEstimate", "risks", "verificationSuggestions",
                "analyzedAt", "analyzedRepo", "analyzedSpecVersion"}


@pytest.fixture
def repo(tmp_path):
    return git_repo(tmp_path / "acme" / "payroll-web", FILES)


@pytest.fixture
def tenants(database, repo):
    return analysis_tenants(str(repo))


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Temporary folders of this test land here, so the test can see what is left behind."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def analyze(client, tenants, intent_id, email="editor@a.example"):
    return client.post(f"/api/v1/intents/{intent_id}/analyze-codebase", cookies=tenants.pm_session(email))


def events(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def intent_of(client, tenants, **fields):
    return new_intent(client, tenants, **{**SPEC, **fields})


def get_intent(client, tenants, intent_id):
    return client.get(f"/api/v1/intents/{intent_id}", headers=tenants.pm_headers()).json()


def test_api_key_is_refused(client, tenants):
    """PM-ANALYZE-1: "cookie-session-only" """
    intent = intent_of(client, tenants)
    response = client.post(f"/api/v1/intents/{intent['id']}/analyze-codebase", headers=tenants.pm_headers())
    assert_json_error(response, 401)
    assert "x-ndjson" not in response.headers["content-type"]


def test_no_session_is_401(client, tenants):
    """PM-ANALYZE-2: "No valid Supabase session (Authentication required)" """
    intent = intent_of(client, tenants)
    response = client.post(f"/api/v1/intents/{intent['id']}/analyze-codebase")
    assert assert_json_error(response, 401) == {"error": "Authentication required"}


@pytest.mark.parametrize("email,status", [("viewer@a.example", 403), ("outsider@c.example", 403),
                                          ("owner@b.example", 403), ("editor@a.example", 200),
                                          ("admin@a.example", 200), ("owner@a.example", 200)])
def test_role_gate(client, tenants, email, status):
    """PM-ANALYZE-3: "Role gate requires owner|admin|editor membership (treated as admin scope)." """
    intent = intent_of(client, tenants)
    response = analyze(client, tenants, intent["id"], email)
    if status == 403:
        assert_json_error(response, 403)
    else:
        assert response.status_code == 200 and events(response)[-1]["phase"] == "done"


def test_free_plan_is_403(client, tenants):
    """PM-ANALYZE-4: "paid plan (pro/team — free is 403)" """
    intent = intent_of(client, tenants)
    update_workspace(tenants, plan="free")
    assert_json_error(analyze(client, tenants, intent["id"]), 403)
    update_workspace(tenants, plan="team")
    assert analyze(client, tenants, intent["id"]).status_code == 200


def test_flag_off_is_403(client, tenants):
    """PM-ANALYZE-5: "workspace flag implementation_context_enabled" """
    intent = intent_of(client, tenants)
    update_workspace(tenants, flags={"implementation_context_enabled": False})
    assert_json_error(analyze(client, tenants, intent["id"]), 403)


def test_content_type_is_ndjson(client, tenants):
    """PM-ANALYZE-6: "Content-Type 'application/x-ndjson; charset=utf-8'" """
    response = analyze(client, tenants, intent_of(client, tenants)["id"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson; charset=utf-8"


def test_cache_control_no_store(client, tenants):
    """PM-ANALYZE-7: "Cache-Control no-store" """
    response = analyze(client, tenants, intent_of(client, tenants)["id"])
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"


def test_every_line_is_a_progress_event(client, tenants):
    """PM-ANALYZE-8: "Each line is a ProgressEvent { phase, message, partialResult?, updatedSpec?, error? }" """
    lines = [line for line in analyze(client, tenants, intent_of(client, tenants)["id"]).text.split("\n") if line]
    assert len(lines) == 4
    for line in lines:
        event = json.loads(line)
        assert isinstance(event["phase"], str) and isinstance(event["message"], str)
        assert set(event) <= EVENT_KEYS


def test_phases_in_order(client, tenants):
    """PM-ANALYZE-9: "cloning, analyzing, writing, done" """
    assert tuple(e["phase"] for e in events(analyze(client, tenants, intent_of(client, tenants)["id"]))) == PHASES


GATE = threading.Event()


class GatedEngine:
    """The local engine, held after its first event until the test opens the gate."""

    def analyze(self, request):
        steps = LocalAnalysisEngine().analyze(request)
        yield next(steps)
        assert GATE.wait(20), "the test never opened the gate"
        yield from steps


def test_stream_arrives_line_by_line(client, tenants, live_server, monkeypatch):
    """PM-ANALYZE-10: "HTTP 200 returned immediately before work completes." The first line is read
    while the engine is still held before analysing; 'done' only comes after it is released."""
    monkeypatch.setenv("PATHMODE_ANALYSIS_ENGINE", f"{__name__}:GatedEngine")
    GATE.clear()
    intent = intent_of(client, tenants)
    url = f"{live_server}/api/v1/intents/{intent['id']}/analyze-codebase"
    with httpx.Client(cookies=tenants.pm_session("editor@a.example"), timeout=15) as http:
        with http.stream("POST", url) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            first = json.loads(next(lines))
            assert first["phase"] == "cloning"
            assert get_intent(client, tenants, intent["id"])["implementationContext"] is None  # not done yet
            GATE.set()
            rest = [json.loads(line) for line in lines if line]
    assert [e["phase"] for e in rest] == ["analyzing", "writing", "done"]


def test_failure_after_start_is_an_error_line(client, tenants, tmp_path, scratch):
    """PM-ANALYZE-11: "errors after the 200 surface as a {phase:'error'} line, not an HTTP error" """
    update_workspace(tenants, repository=str(tmp_path / "gone"))  # unreadable: nothing there
    response = analyze(client, tenants, intent_of(client, tenants)["id"])
    assert response.status_code == 200
    lines = events(response)
    assert lines[0]["phase"] == "cloning" and lines[-1]["phase"] == "error"
    assert isinstance(lines[-1]["error"], str) and lines[-1]["error"]
    assert list(scratch.iterdir()) == []  # the clone folder is removed on failure too


def test_done_context_is_persisted(client, tenants):
    """PM-ANALYZE-12: "Sole writer of intent_specs.implementation_context." """
    intent = intent_of(client, tenants)
    done = events(analyze(client, tenants, intent["id"]))[-1]
    stored = get_intent(client, tenants, intent["id"])["implementationContext"]
    assert stored is not None and stored == done["updatedSpec"]["implementationContext"]


def test_create_and_patch_never_write_it(client, tenants):
    """PM-ANALYZE-13: "Sole writer of intent_specs.implementation_context." """
    smuggled = {"currentBehavior": "smuggled", "relevantAreas": []}
    body = {**SPEC, "productId": tenants.pm_product_id(), "implementationContext": smuggled}
    created = client.post("/api/v1/intents", json=body, headers=tenants.pm_headers())
    if created.status_code == 201:
        intent_id = created.json()["id"]
    else:
        assert created.status_code == 400
        intent_id = intent_of(client, tenants)["id"]
    assert get_intent(client, tenants, intent_id)["implementationContext"] is None
    patched = client.patch(f"/api/v1/intents/{intent_id}", json={"title": "Renamed", "implementationContext": smuggled},
                           headers=tenants.pm_headers())
    assert patched.status_code in (200, 400)
    assert get_intent(client, tenants, intent_id)["implementationContext"] is None
    events(analyze(client, tenants, intent_id))
    analysed = get_intent(client, tenants, intent_id)["implementationContext"]
    client.patch(f"/api/v1/intents/{intent_id}", json={"implementationContext": smuggled, "title": "Again"},
                 headers=tenants.pm_headers())
    assert get_intent(client, tenants, intent_id)["implementationContext"] == analysed


def test_updated_spec_is_the_full_intent(client, tenants):
    """PM-ANALYZE-14: "updatedSpec is the full mapIntentRowToApiIntent shape." """
    intent = intent_of(client, tenants)
    done = events(analyze(client, tenants, intent["id"]))[-1]
    fetched = get_intent(client, tenants, intent["id"])
    assert set(done["updatedSpec"]) == set(fetched) and done["updatedSpec"] == fetched


def test_spec_version_is_16_hex(client, tenants):
    """PM-ANALYZE-15: "analyzedSpecVersion is a 16-char sha256 of canonical spec content." """
    done = events(analyze(client, tenants, intent_of(client, tenants)["id"]))[-1]
    assert re.fullmatch(r"[0-9a-f]{16}", done["updatedSpec"]["implementationContext"]["analyzedSpecVersion"])


def test_spec_version_follows_content(client, tenants):
    """PM-ANALYZE-16: "analyzedSpecVersion is a 16-char sha256 of canonical spec content." """
    intent = intent_of(client, tenants)

    def version():
        return events(analyze(client, tenants, intent["id"]))[-1]["updatedSpec"]["implementationContext"][
            "analyzedSpecVersion"]

    first = version()
    assert version() == first
    client.patch(f"/api/v1/intents/{intent['id']}", json={"objective": "Recover access in one minute"},
                 headers=tenants.pm_headers())
    assert version() != first


def test_writing_line_holds_the_context(client, tenants, repo):
    """PM-ANALYZE-17: "phase":"writing" """
    writing = next(e for e in events(analyze(client, tenants, intent_of(client, tenants)["id"]))
                   if e["phase"] == "writing")
    context = writing["partialResult"]
    assert set(context) == CONTEXT_KEYS
    assert context["relevantAreas"] and all(set(a) == {"path", "reason"} for a in context["relevantAreas"])
    assert isinstance(context["currentBehavior"], str) and context["liftEstimate"] in ("small", "medium", "large")
    assert isinstance(context["risks"], list) and isinstance(context["verificationSuggestions"], list)
    assert clock.parse_iso(context["analyzedAt"]) > 0
    assert context["analyzedRepo"] == {"provider": "local", "owner": "acme", "name": "payroll-web", "ref": "main"}


def test_relevant_areas_are_ranked_with_reasons(client, tenants):
    """The issue: "files ranked by relevance to the intent's title, objective, outcomes and edge
    cases, with the reason"."""
    writing = next(e for e in events(analyze(client, tenants, intent_of(client, tenants)["id"]))
                   if e["phase"] == "writing")
    paths = [area["path"] for area in writing["partialResult"]["relevantAreas"]]
    assert paths[0] == "src/auth/password_reset.py"
    assert "src/auth/login.py" in paths and "src/billing/invoice.py" not in paths
    assert "'password'" in writing["partialResult"]["relevantAreas"][0]["reason"]
    assert "Extend the existing tests in tests/test_password_reset.py" in writing["partialResult"][
        "verificationSuggestions"]


def test_temporary_clone_is_removed(client, tenants, scratch):
    """The issue: "The temporary clone is always removed." """
    assert events(analyze(client, tenants, intent_of(client, tenants)["id"]))[-1]["phase"] == "done"
    assert list(scratch.iterdir()) == []


def test_thirty_a_day_per_workspace(client, tenants):
    """PM-ANALYZE-18: "analyzeCodebase 30/24h (per workspace)"; PM-RATE-9: "body { error,
    retryAfterSeconds } + Retry-After header" — an integer > 0 equal to the header's value."""
    intent = intent_of(client, tenants)
    for _ in range(30):
        assert analyze(client, tenants, intent["id"]).status_code == 200
    refused = analyze(client, tenants, intent["id"])
    body = assert_json_error(refused, 429)
    assert isinstance(body["retryAfterSeconds"], int) and body["retryAfterSeconds"] > 0
    assert refused.headers["retry-after"] == str(body["retryAfterSeconds"])
    clock.advance(86_400)
    assert analyze(client, tenants, intent["id"]).status_code == 200


def test_cap_keyed_by_workspace_not_user(client, database, tmp_path):
    """PM-ANALYZE-19: "Rate limit keyed by workspace:<id>, NOT user" """
    tenants = analysis_tenants(str(git_repo(tmp_path / "a", FILES)), repository_b=str(git_repo(tmp_path / "b", FILES)))
    with database.connection_context():  # a second editor in workspace A
        Membership.create(workspace=tenants.pm_workspace_id(), user=User.get(User.email == "admin@b.example"),
                          role="editor")
    intent = intent_of(client, tenants)
    for index in range(30):
        editor = "editor@a.example" if index % 2 else "admin@b.example"
        assert analyze(client, tenants, intent["id"], editor).status_code == 200
    for editor in ("editor@a.example", "admin@b.example"):
        assert_json_error(analyze(client, tenants, intent["id"], editor), 429)
    intent_b = new_intent(client, tenants, workspace="ws-b")
    assert analyze(client, tenants, intent_b["id"], "editor@b.example").status_code == 200


def test_example_products_are_exempt(client, tenants, settings):
    """PM-ANALYZE-20: "example products (is_example) are exempt from the cap" """
    settings.rate_limits["analyzeCodebase"] = (2, 86_400)  # the same rule with a smaller cap
    intent = intent_of(client, tenants)
    example = intent_of(client, tenants, productId=tenants.pm_product_id("ws-a", "example"))
    for _ in range(2):
        assert analyze(client, tenants, intent["id"]).status_code == 200
    assert_json_error(analyze(client, tenants, intent["id"]), 429)
    for _ in range(3):
        assert analyze(client, tenants, example["id"]).status_code == 200


def test_no_repository_is_400(client, database):
    """PM-ANALYZE-21: "No GitHub repo/binding configured" """
    tenants = analysis_tenants(None)
    response = analyze(client, tenants, intent_of(client, tenants)["id"])
    assert_json_error(response, 400)
    update_workspace(tenants, repository="   ")
    assert_json_error(analyze(client, tenants, intent_of(client, tenants)["id"]), 400)


def test_unconfigured_service_is_503(client, tenants, monkeypatch):
    """PM-ANALYZE-22: "Service not configured" """
    monkeypatch.setenv("PATHMODE_ANALYSIS_ENGINE", "off")
    assert_json_error(analyze(client, tenants, intent_of(client, tenants)["id"]), 503)


def test_unknown_intent_404(client, tenants):
    """PM-ANALYZE-23: "Intent not found" """
    assert_json_error(analyze(client, tenants, random_id()), 404)


@pytest.mark.parametrize("repository,identity", [
    ("https://github.com/acme/payroll-web.git", {"provider": "github", "owner": "acme", "name": "payroll-web"}),
    ("git@gitlab.com:team/app.git", {"provider": "gitlab", "owner": "team", "name": "app"}),
    ("https://git.example.org/x/tool", {"provider": "git", "owner": "x", "name": "tool"}),
    ("/srv/repos/acme/site", {"provider": "local", "owner": "acme", "name": "site"}),
    ("file:///srv/repos/acme/site.git", {"provider": "local", "owner": "acme", "name": "site"}),
])
def test_analyzed_repo_identity(repository, identity):
    """analyzedRepo {provider, owner, name} from the bound repository."""
    assert repo_identity(repository) == identity


# --- what reaches git ---------------------------------------------------------------------

@pytest.mark.parametrize("repository", ["--upload-pack=touch {marker}", "-u touch {marker}",
                                        "ext::sh -c touch% {marker}", "  --config=core.sshCommand=touch {marker}"])
def test_option_like_or_helper_repositories_never_reach_git(client, tenants, tmp_path, repository):
    marker = tmp_path / "pwned"
    update_workspace(tenants, repository=repository.format(marker=marker))
    response = analyze(client, tenants, intent_of(client, tenants)["id"])
    assert response.status_code == 200
    last = events(response)[-1]
    assert last["phase"] == "error" and "refused" in last["error"], last
    assert not marker.exists()
    assert client.get(f"/api/v1/intents?workspace_id={tenants.pm_workspace_id()}",
                      cookies=tenants.pm_session()).json()["intents"][0]["implementationContext"] is None


def test_ext_transport_is_off_even_past_the_check(tmp_path):
    """Belt and braces: git itself is told to allow only plain transports."""
    from handlers.pathmode.engines import EngineError
    from handlers.pathmode.engines.analysis import _git

    marker = tmp_path / "pwned"
    with pytest.raises(EngineError):
        _git("clone", "--", f"ext::sh -c touch% {marker}", str(tmp_path / "dest"))
    assert not marker.exists()


@pytest.mark.parametrize("repository", ["--upload-pack=touch /tmp/x", "ext::sh -c id"])
def test_seeding_refuses_such_a_repository_and_stores_nothing(database, repository):
    from handlers.pathmode.store import Workspace
    from spec_server import seeding
    from spec_server.db import database as bound

    with bound.connection_context():
        with pytest.raises(ValueError, match="repository"):
            seeding.seed({"pathmode": {"workspaces": [{"name": "W", "urlKey": "w", "repository": repository}]}})
        assert Workspace.select().count() == 0

"""The regeneration workflow as a user meets it: an upstream change applied to a copy of a
document, then ``spec-server codegen`` / ``--check`` / ``--scaffold`` / ``serve`` in that copy.

Each change must give a report line naming the field or rule with old → new and the right
class, and either take effect with no hand edit (rules the document states: validation, rate
limits, scopes, auth modes) or be named by ``--check`` (and start-up) before anything runs.
The copy is made once for the module and reset between tests (``project.py``).
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from tests.workflow.project import REPO, Project

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CHANGES = "changes since generated/ was committed"
CODE = "code to change"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Project:
    return Project.copy_of_repo(tmp_path_factory.mktemp("workflow"))


@pytest.fixture
def project(pristine) -> Project:
    pristine.reset()
    yield pristine
    pristine.reset()


@pytest.fixture
def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/store.sqlite3"


# ---- reading codegen's output

def changes(result) -> list[str]:
    return [line for line in result.section(CHANGES) if line != "none"]


def code_findings(result) -> list[str]:
    return [line for line in result.section(CODE) if line != "none"]


def generated(result) -> None:
    """codegen wrote generated/: exit 0 and its last line."""
    assert result.returncode == 0, result
    assert result.lines[-1].startswith("wrote "), result


def check_failures(result) -> list[str]:
    """``--check`` failed (exit 1) naming what is left: its lines."""
    assert result.returncode == 1, result
    return result.lines


def check_passes(result) -> None:
    assert result.returncode == 0 and result.lines == ["generated/ is current and every handler fits"], result


def level_of(line: str) -> str:
    return line.split("  ")[0].split(": ", 1)[1]


def operation_of(line: str) -> str:
    return line.split("  ")[1]


# ---- reading the documents

def base_path(document: dict) -> str:
    url = (document.get("servers") or [{"url": ""}])[0]["url"]
    return re.sub(r"^[a-z]+://[^/]+", "", url).rstrip("/")


def operation_count(document: dict) -> int:
    return sum(method in item for item in document["paths"].values() for method in HTTP_METHODS)


def reached_schemas(document: dict, node, seen: set[str]) -> set[str]:
    """Names of every ``components.schemas`` entry ``node`` reaches through ``$ref``s."""
    if isinstance(node, list):
        for value in node:
            reached_schemas(document, value, seen)
    elif isinstance(node, dict):
        reference = node.get("$ref", "")
        if reference.startswith("#/components/schemas/"):
            name = reference.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                reached_schemas(document, document["components"]["schemas"][name], seen)
        for value in node.values():
            reached_schemas(document, value, seen)
    return seen


def operations_reaching(document: dict, schema: str, side: str) -> set[str]:
    """``METHOD /public/path`` of every operation whose request body (``side="request"``) or a
    response (``"response"``) reaches ``components.schemas[schema]``."""
    found = set()
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            part = operation.get("requestBody", {}) if side == "request" else operation.get("responses", {})
            if schema in reached_schemas(document, part, set()):
                found.add(f"{method.upper()} {base_path(document)}{path}")
    return found


# ---- the copy's server

def backlex_owner(project: Project, store_url: str) -> dict:
    """A backlex user's session cookie (``spec-server seed``); the org comes from ``create_org``."""
    created = project.seed({"backlex": {"users": [{"email": "owner@a.example", "name": "Owner"}]}}, store_url)
    return {"better-auth.session_token": created["backlex"]["users"]["owner@a.example"]["sessionToken"]}


def create_org(client) -> str:
    response = client.post("/api/org", json={"name": "Acme Corp"})
    assert response.status_code == 201, response.text
    return response.json()["org"]["slug"]


def create_project(client, slug: str) -> str:
    response = client.post(f"/api/org/{slug}/projects", json={"name": "Alpha"})
    assert response.status_code == 201, response.text
    return response.json()["project"]["slug"]


def is_backlex_error(response, status: int, code: str) -> bool:
    body = response.json()
    return response.status_code == status and set(body) == {"error"} and body["error"]["code"] == code


# ---- 1. a new required field in a request body

def test_a_new_required_request_field_is_breaking_and_refused_without_it(project, store_url):
    def require_cost_center(document):
        schema = document["components"]["schemas"]["CreateProjectInput"]
        assert "costCenter" not in schema["properties"]
        schema["properties"]["costCenter"] = {"type": "string"}
        schema["required"].append("costCenter")

    document = project.edit_document("backlex", require_cost_center)
    assert operations_reaching(document, "CreateProjectInput", "request") == {"POST /api/org/{slug}/projects"}
    done = project.codegen()
    generated(done)
    assert changes(done) == [
        'backlex: breaking  POST /api/org/{slug}/projects  request body .costCenter: required property added '
        '(null → {"type": "string"})  -> handlers/backlex/projects.py post_org_projects']
    assert code_findings(done) == []
    check_passes(project.codegen("--check"))

    cookies = backlex_owner(project, store_url)
    with project.server(store_url) as server, server.client(cookies=cookies) as client:
        slug = create_org(client)
        without = client.post(f"/api/org/{slug}/projects", json={"name": "Alpha"})
        assert is_backlex_error(without, 422, "VALIDATION"), without.text
        assert set(without.json()["error"]["details"]["fieldErrors"]) == {"costCenter"}
        with_it = client.post(f"/api/org/{slug}/projects", json={"name": "Alpha", "costCenter": "cc-7"})
        assert with_it.status_code == 201, with_it.text


# ---- 2. a response field's type changed

def make_residency_an_integer(document):
    properties = document["components"]["schemas"]["Org"]["properties"]
    assert properties["residency"] == {"type": "string"}
    properties["residency"] = {"type": "integer"}


def test_a_response_field_type_change_is_breaking_at_every_operation_whose_response_reaches_it(project):
    document = project.edit_document("backlex", make_residency_an_integer)
    done = project.codegen()
    generated(done)
    lines = changes(done)
    reaching = operations_reaching(document, "Org", "response")
    assert reaching and {operation_of(line) for line in lines} == reaching
    for line in lines:
        assert re.fullmatch(r'backlex: breaking  [A-Z]+ /api/\S+  response \d{3} body \.\S*residency: type changed '
                            r'\("string" → "integer"\)  -> handlers/backlex/\w+\.py \w+', line), line


def test_check_names_the_handler_that_builds_a_response_field_whose_type_changed(project):
    """The typed models: the view that builds Org.residency as a string is named, file and line."""
    project.edit_document("backlex", make_residency_an_integer)
    generated(project.codegen())
    lines = check_failures(project.codegen("--check"))
    assert any(re.match(r"handlers/backlex/\w+\.py:\d+: .*\"residency\" has type \"int\"", line) for line in lines), lines


# ---- 3. enum values added and removed on the request side

def test_enum_values_added_and_removed_take_effect_in_validation(project, store_url):
    added = "neurons"
    removed = project.document("backlex")["components"]["schemas"]["AlarmInput"]["properties"]["metric"]["enum"][0]

    def change_metrics(document):
        metric = document["components"]["schemas"]["AlarmInput"]["properties"]["metric"]
        assert added not in metric["enum"]
        metric["enum"].append(added)
        metric["enum"].remove(removed)
    document = project.edit_document("backlex", change_metrics)
    [alarms] = operations_reaching(document, "AlarmInput", "request")
    assert alarms == "POST /api/org/{slug}/projects/{projectSlug}/alarms"
    done = project.codegen()
    generated(done)
    handler = "handlers/backlex/projects.py post_org_project_alarms"
    assert changes(done) == [
        f'backlex: breaking  {alarms}  request body .metric: enum: enum value removed ("{removed}" → null)  -> {handler}',
        f'backlex: non-breaking  {alarms}  request body .metric: enum: enum value added (null → "{added}")  -> {handler}',
    ]
    check_passes(project.codegen("--check"))

    cookies = backlex_owner(project, store_url)
    with project.server(store_url) as server, server.client(cookies=cookies) as client:
        slug = create_org(client)
        project_slug = create_project(client, slug)
        url = f"/api/org/{slug}/projects/{project_slug}/alarms"
        refused = client.post(url, json={"metric": removed, "thresholdPct": 80})
        assert is_backlex_error(refused, 422, "VALIDATION"), refused.text
        assert set(refused.json()["error"]["details"]["fieldErrors"]) == {"metric"}
        accepted = client.post(url, json={"metric": added, "thresholdPct": 80})
        assert accepted.status_code == 201 and accepted.json()["alarm"]["metric"] == added, accepted.text


# ---- 4. Pathmode's x-* rules: rate limit, scope, auth mode

PATHMODE_SEED = {"pathmode": {
    "users": [{"email": "owner@a.example"}],
    "workspaces": [{
        "name": "Acme", "urlKey": "acme", "plan": "pro",
        "members": [{"email": "owner@a.example", "role": "owner"}],
        "apiKeys": [{"name": "read", "user": "owner@a.example", "scopes": ["read"]},
                    {"name": "rw", "user": "owner@a.example", "scopes": ["read", "write"]}],
    }],
}}


def test_rate_limit_scope_and_auth_mode_the_document_states_take_effect_with_no_hand_edit(project, store_url):
    before = project.document("pathmode")["paths"]
    bucket, old_limit = before["/api/v1/api-keys"]["get"]["x-rateLimit"].split(" ")
    lowered = f"{bucket} 5/h"
    assert before["/api/v1/intents"]["get"]["x-scope"] == "read"
    assert before["/api/v1/workspace"]["get"]["x-auth"] == "api-key-or-cookie"

    def change_rules(document):
        paths = document["paths"]
        paths["/api/v1/api-keys"]["get"]["x-rateLimit"] = lowered
        paths["/api/v1/intents"]["get"]["x-scope"] = "write"
        paths["/api/v1/workspace"]["get"]["x-auth"] = "cookie-session-only"

    project.edit_document("pathmode", change_rules)
    done = project.codegen()
    generated(done)
    assert changes(done) == [
        'pathmode: breaking  GET /api/v1/api-keys  x-rateLimit: rate limit lowered (x-rateLimit) '
        f'("{bucket} {old_limit}" → "{lowered}")  -> handlers/pathmode/api_keys.py get_api_keys',
        'pathmode: breaking  GET /api/v1/intents  x-scope: required API key scope changed (x-scope) '
        '("read" → "write")  -> handlers/pathmode/intents.py get_intents',
        'pathmode: breaking  GET /api/v1/workspace  x-auth: fewer ways to authenticate (x-auth) '
        '("api-key-or-cookie" → "cookie-session-only")  -> handlers/pathmode/workspace.py get_workspace',
    ]
    check_passes(project.codegen("--check"))

    created = project.seed(PATHMODE_SEED, store_url)["pathmode"]
    session = {"sb-access-token": created["users"]["owner@a.example"]["sessionToken"]}
    keys = created["workspaces"]["acme"]["apiKeys"]
    with project.server(store_url) as server, server.client() as client:
        statuses = [client.get("/api/v1/api-keys", cookies=session).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        refused = client.get("/api/v1/api-keys", cookies=session)
        assert refused.status_code == 429 and isinstance(refused.json()["error"], str)

        def intents(key):
            return client.get("/api/v1/intents", headers={"Authorization": f"Bearer {key}"}).status_code

        assert (intents(keys["read"]), intents(keys["rw"])) == (403, 200)
        by_key = client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {keys['rw']}"})
        assert by_key.status_code == 401, by_key.text


# ---- 4b. security, deprecation and path-level parameters: reported with their class

def test_an_org_scoped_operation_made_public_is_reported_and_named_by_check(project):
    """It says it turned public; backlex decides org-scoped operations by the caller's role, so
    ``--check`` (and start-up) name the permission table before a request meets the gap."""
    project.edit_document("backlex", lambda document: document["paths"]["/org/{slug}/webhooks"]["get"].pop("security"))
    done = project.codegen()
    generated(done)
    assert changes(done) == [
        'backlex: non-breaking  GET /api/org/{slug}/webhooks  security: operation no longer requires '
        'authentication: it is public now ([{"sessionCookie": []}] → [])  -> handlers/backlex/integrations.py '
        'get_org_webhooks']
    finding = ("handlers/backlex/_permissions.py: GET /api/org/{slug}/webhooks (get_org_webhooks) is "
               "public in the document (no security), but org-scoped operations are decided by the caller's role: "
               "restore its security with an action in specs/backlex.overlay.json, or serve anonymous callers "
               "in _api.py")
    assert code_findings(done) == [finding]
    assert check_failures(project.codegen("--check")) == [finding]


def test_the_global_security_removed_is_reported_once_for_the_document(project):
    """Every Pathmode operation states its own security, so nothing else changes."""
    document = project.document("pathmode")
    old = document["security"]
    assert all("security" in item[m] for item in document["paths"].values() for m in HTTP_METHODS if m in item)
    project.edit_document("pathmode", lambda document: document.pop("security"))
    done = project.codegen()
    generated(done)
    assert changes(done) == [
        "pathmode: non-breaking  (document)  security: by default (operations without their own security): "
        f"operation no longer requires authentication: it is public now ({json.dumps(old)} → null)"]
    check_passes(project.codegen("--check"))


def test_an_operations_own_security_removed_falls_back_to_the_documents_then_turns_public(project, store_url):
    """Pathmode's GET /workspace without its own ``security`` takes the document's (keys only):
    cookies are refused with no hand edit. With the document's gone too it is public, which
    contradicts its ``x-auth``: ``--check`` names it."""
    path = "/api/v1/workspace"
    project.edit_document("pathmode", lambda document: document["paths"][path]["get"].pop("security"))
    done = project.codegen()
    generated(done)
    assert changes(done) == [
        f'pathmode: breaking  GET {path}  security: a way to authenticate is no longer accepted '
        '({"sessionCookie": []} → null)  -> handlers/pathmode/workspace.py get_workspace']
    check_passes(project.codegen("--check"))

    created = project.seed(PATHMODE_SEED, store_url)["pathmode"]
    session = {"sb-access-token": created["users"]["owner@a.example"]["sessionToken"]}
    workspace = created["workspaces"]["acme"]
    with project.server(store_url) as server, server.client() as client:
        by_cookie = client.get(path, params={"workspace_id": workspace["id"]}, cookies=session)
        assert by_cookie.status_code == 401, by_cookie.text
        by_key = client.get(path, headers={"Authorization": f"Bearer {workspace['apiKeys']['rw']}"})
        assert by_key.status_code == 200, by_key.text

    project.edit_document("pathmode", lambda document: document.pop("security"))
    done = project.codegen()
    generated(done)
    assert (f"pathmode: non-breaking  GET {path}  security: operation no longer requires authentication: it is "
            'public now ([{"bearerAuth": []}, {"sessionCookie": []}] → [])  -> handlers/pathmode/workspace.py '
            "get_workspace") in changes(done)
    finding = (f"handlers/pathmode/_api.py: GET {path} (get_workspace) is public in the document (no "
               "security), but its x-auth is 'api-key-or-cookie' and every handler reads the caller: restore its "
               "security with an action in specs/pathmode.overlay.json, or serve anonymous callers here")
    assert check_failures(project.codegen("--check")) == [finding]


def test_a_deprecated_operation_is_non_breaking(project):
    project.edit_document("pathmode", lambda document: document["paths"]["/api/v1/export"]["get"].update(deprecated=True))
    done = project.codegen()
    generated(done)
    assert changes(done) == [
        "pathmode: non-breaking  GET /api/v1/export  deprecated: operation deprecated (false → true)  "
        "-> handlers/pathmode/export.py get_export"]
    check_passes(project.codegen("--check"))


def test_a_path_level_parameter_is_reported_and_checked_at_each_operation_of_the_path(project):
    path = "/api/v1/intents/{id}"
    added = {"name": "expand", "in": "query", "required": False, "schema": {"type": "string"}}
    document = project.edit_document(
        "pathmode", lambda document: document["paths"][path].setdefault("parameters", []).append(added))
    methods = [m.upper() for m in HTTP_METHODS if m in document["paths"][path]]
    done = project.codegen()
    generated(done)
    lines = changes(done)
    assert sorted(operation_of(line) for line in lines) == sorted(f"{m} {path}" for m in methods)
    for line in lines:
        assert level_of(line) == "non-breaking"
        assert "  query parameter expand: new optional parameter (null → " in line, line
    lines = check_failures(project.codegen("--check"))
    assert len(lines) == len(methods)
    for line in lines:
        assert re.fullmatch(r"handlers/pathmode/intents\.py: \w+: no parameter expand for query parameter expand "
                            rf"\([A-Z]+ {re.escape(path)}\)", line), line


# ---- 5. an operation removed

def test_a_removed_operation_names_its_link_then_its_leftover_handler_and_permission_row(project):
    links_file = "specs/backlex.links.overlay.json"
    project.edit_document("backlex", lambda document: document["paths"]["/org/{slug}/webhooks/{id}"].pop("delete"))
    broken = project.codegen()
    assert broken.returncode == 2, broken
    assert broken.lines == [
        "error: backlex: post_org_webhooks (POST /org/{slug}/webhooks) response 201 link DeleteOrgWebhook: "
        f"operationId delete_org_webhook names no operation of the document (added by {links_file})"]
    assert project.git("status", "--porcelain", "generated") == ""  # nothing written
    assert project.codegen("--check").lines == broken.lines

    def drop_link(overlay):  # what the user does next: the link goes with its target
        [links] = [a["update"]["links"] for a in overlay["actions"] if "DeleteOrgWebhook" in a["update"].get("links", {})]
        del links["DeleteOrgWebhook"]

    project.edit_json(links_file, drop_link)
    done = project.codegen()
    generated(done)
    assert [line for line in changes(done) if level_of(line) == "breaking"] == [
        'backlex: breaking  DELETE /api/org/{slug}/webhooks/{id}  operation: operation removed '
        '("delete_org_webhook" → null)']
    leftovers = [
        "handlers/backlex/integrations.py: delete_org_webhook handles no operation of the document (left over "
        "from a removed or renamed operation? remove it, or make a helper private: _delete_org_webhook)",
        "handlers/backlex/_permissions.py: MINIMUM_ROLE row 'delete_org_webhook' names no org-scoped "
        "operation: remove it",
    ]
    assert code_findings(done) == leftovers
    assert check_failures(project.codegen("--check")) == leftovers


# ---- 6. a path parameter renamed

def test_a_renamed_path_parameter_is_info_but_check_and_start_up_name_the_handler(project, store_url):
    old_path, new_path = "/org/{slug}/webhooks/{id}/test", "/org/{slug}/webhooks/{webhookId}/test"
    links_file = "specs/backlex.links.overlay.json"

    def rename(document):
        item = document["paths"].pop(old_path)
        for parameter in item["post"]["parameters"]:
            if parameter["name"] == "id":
                parameter["name"] = "webhookId"
        document["paths"][new_path] = item

    project.edit_document("backlex", rename)
    actions = project.read_json(links_file)["actions"]
    [moved] = [index for index, action in enumerate(actions) if old_path in action["target"]]
    broken = project.codegen()
    assert broken.returncode == 2, broken
    assert broken.lines[0].startswith(f"error: backlex: {links_file} action {moved} (")
    assert broken.lines[0].endswith(f"target $.paths['{old_path}'].post.responses['200'] matches nothing")
    assert broken.lines[1:] == [
        "error: backlex: post_org_webhooks (POST /org/{slug}/webhooks) response 201 link PostOrgWebhookTest: "
        f"post_org_webhook_test has no parameter id (added by {links_file})"]

    def follow_the_rename(overlay):  # the user's edit of the team's links overlay
        for action in overlay["actions"]:
            action["target"] = action["target"].replace(old_path, new_path)
            link = action["update"].get("links", {}).get("PostOrgWebhookTest")
            if link:
                link["parameters"]["webhookId"] = link["parameters"].pop("id")

    project.edit_json(links_file, follow_the_rename)
    done = project.codegen()
    generated(done)
    assert ('backlex: info  POST /api' + new_path + '  path parameter webhookId: path parameter renamed '
            '("id" → "webhookId")  -> handlers/backlex/integrations.py post_org_webhook_test') in changes(done)
    assert {level_of(line) for line in changes(done)} == {"info"}
    signature = [
        "handlers/backlex/integrations.py: post_org_webhook_test: no parameter webhook_id for path parameter "
        f"webhookId (POST /api{new_path})",
        f"handlers/backlex/integrations.py: post_org_webhook_test: parameter id_ is no parameter of POST /api{new_path}; "
        "connexion never passes it (every call fails)",
    ]
    assert code_findings(done) == signature
    assert check_failures(project.codegen("--check")) == signature

    refused = project.start_refused(store_url)
    assert refused.returncode == 1, refused
    assert refused.stderr.startswith("spec-server: not started: the handlers do not fit the documents")
    assert all(f"  {line}\n" in refused.stderr for line in signature), refused
    assert "Traceback" not in refused.stderr and "Seeded" not in refused.stdout


# ---- 7. an operation added

def add_archive(document):
    """A new org-scoped action, shaped like its sibling ``pause``."""
    operation = copy.deepcopy(document["paths"]["/org/{slug}/projects/{projectSlug}/pause"]["post"])
    operation["summary"] = "Archive a project"
    document["paths"]["/org/{slug}/projects/{projectSlug}/archive"] = {"post": operation}


def test_an_added_operation_is_named_by_check_then_scaffolded_and_served_as_501(project, store_url):
    counted = operation_count(project.document("backlex")) + operation_count(project.document("pathmode"))
    project.edit_document("backlex", add_archive)
    route = "POST /api/org/{slug}/projects/{projectSlug}/archive"
    missing = [
        f"handlers/backlex/projects.py: no function post_org_project_archive for {route} "
        "(`spec-server codegen --scaffold` writes one)",
        f"handlers/backlex/_permissions.py: {route} (post_org_project_archive) has no MINIMUM_ROLE row: "
        "add 'post_org_project_archive': <viewer|developer|admin|owner>",
    ]
    assert check_failures(project.codegen("--check"))[-2:] == missing  # after the stale generated/ files
    done = project.codegen()
    generated(done)
    assert changes(done) == [f'backlex: non-breaking  {route}  operation: operation added '
                             '(null → "post_org_project_archive")  -> handlers/backlex/projects.py post_org_project_archive']
    assert code_findings(done) == missing
    assert done.lines[-1].endswith(f"({counted + 1} operations)")

    scaffolded = project.codegen("--scaffold")
    generated(scaffolded)
    assert scaffolded.section("scaffolded") == [
        f"handlers/backlex/projects.py: post_org_project_archive ({route}) answers 501 until written",
        "handlers/backlex/_permissions.py: MINIMUM_ROLE['post_org_project_archive'] = owner (scaffolded; "
        "set the lowest role allowed)",
    ]
    assert code_findings(scaffolded) == []
    check_passes(project.codegen("--check"))
    edited = set(project.git("diff", "--name-only", "handlers").split())
    assert edited == {"handlers/backlex/projects.py", "handlers/backlex/_permissions.py"}  # the copy's, not ours
    assert "post_org_project_archive" not in (REPO / "handlers/backlex/projects.py").read_text()

    cookies = backlex_owner(project, store_url)
    with project.server(store_url) as server, server.client(cookies=cookies) as client:
        slug = create_org(client)
        answer = client.post(f"/api/org/{slug}/projects/anything/archive")
        assert answer.status_code == 501, answer.text
        assert answer.json() == {"error": {
            "code": "NOT_IMPLEMENTED", "details": None,
            "message": "POST /api/org/{slug}/projects/{projectSlug}/archive is not implemented yet"}}


# ---- 8. a query parameter inserted first

def test_a_parameter_inserted_first_leaves_the_overlay_corrections_on_their_parameters(project):
    path = "/api/v1/evidence"
    runtime = "generated/pathmode/openapi.json"
    runtime_path = path.removeprefix(project.read_json(runtime)["servers"][0]["url"])
    before = project.read_json(runtime)["paths"][runtime_path]["get"]["parameters"]
    corrected = {re.search(r"@\.name=='(\w+)'", action["target"])[1]
                 for action in project.read_json("specs/pathmode.overlay.json")["actions"]
                 if action["target"].startswith(f"$.paths['{path}'].get.parameters[")}
    assert corrected and all("enum" in p["schema"] for p in before if p["name"] in corrected)
    inserted = {"name": "sentiment", "in": "query", "required": False, "description": "Filter by sentiment.",
                "schema": {"type": "string"}}
    assert inserted["name"] not in {p["name"] for p in before}
    project.edit_document("pathmode", lambda document: document["paths"][path]["get"]["parameters"].insert(0, inserted))
    done = project.codegen()
    generated(done)
    [line] = changes(done)
    assert line.startswith(f"pathmode: non-breaking  GET {path}  query parameter sentiment: new optional parameter (null → ")
    assert line.endswith("  -> handlers/pathmode/evidence.py get_evidence")
    after = project.read_json(runtime)["paths"][runtime_path]["get"]["parameters"]
    assert after == [inserted, *before]  # each correction still on its own parameter

    # the handler is to read the new filter: --check names it until its signature takes it
    handler = f"handlers/pathmode/evidence.py: get_evidence: no parameter sentiment for query parameter sentiment (GET {path})"
    assert code_findings(done) == [handler]
    assert check_failures(project.codegen("--check")) == [handler]
    module = project.path("handlers/pathmode/evidence.py")
    module.write_text(module.read_text().replace("def get_evidence(", "def get_evidence(sentiment=None, ", 1))
    check_passes(project.codegen("--check"))


# ---- 9. a parameter an overlay corrects, removed upstream

def test_removing_a_parameter_an_overlay_corrects_stops_codegen_naming_the_overlay_action(project):
    path = "/api/v1/evidence"
    actions = project.read_json("specs/pathmode.overlay.json")["actions"]
    index, name = next((i, re.search(r"@\.name=='(\w+)'", a["target"])[1]) for i, a in enumerate(actions)
                       if a["target"].startswith(f"$.paths['{path}'].get.parameters["))

    def drop(document):
        operation = document["paths"][path]["get"]
        operation["parameters"] = [p for p in operation["parameters"] if p["name"] != name]

    project.edit_document("pathmode", drop)
    for flags in ((), ("--check",)):
        stopped = project.codegen(*flags)
        assert stopped.returncode == 2, stopped
        [line] = stopped.lines
        assert line.startswith(f'error: pathmode: specs/pathmode.overlay.json action {index} ("'), line
        assert line.endswith(f"): target {actions[index]['target']} matches nothing"), line
    assert project.git("status", "--porcelain", "generated") == ""  # nothing written


# ---- 10. a description edit

def test_a_description_edit_is_info_only(project):
    path = "/api/v1/export"
    old = project.document("pathmode")["paths"][path]["get"]["description"]
    project.edit_document("pathmode", lambda document: document["paths"][path]["get"].update(description="Exports the workspace."))
    done = project.codegen()
    generated(done)
    [line] = changes(done)
    assert line.startswith(f'pathmode: info  GET {path}  description: description changed ("{old[:20]}')
    assert line.endswith(' → "Exports the workspace.")  -> handlers/pathmode/export.py get_export')
    assert code_findings(done) == []
    check_passes(project.codegen("--check"))


# ---- 10. a value added to a list that keys a hand-written table

def test_a_plan_the_checkout_adds_is_named_in_the_plan_table_by_check_and_start_up(project, store_url):
    """The document lists the plans a checkout sells; their limits and prices are ours
    (``handlers/backlex/_plans.py``). A plan the document adds passes validation at once, so
    it must stop ``--check`` and start-up at the table, or its first checkout would meet a
    plan with no price."""
    added = "enterprise"

    def add_plan(document):
        plan = document["components"]["schemas"]["CheckoutInput"]["properties"]["plan"]
        assert added not in plan["enum"]
        plan["enum"].append(added)
    document = project.edit_document("backlex", add_plan)
    [checkout] = operations_reaching(document, "CheckoutInput", "request")
    done = project.codegen()
    generated(done)
    assert changes(done) == [f'backlex: non-breaking  {checkout}  request body .plan: enum: enum value added '
                             f'(null → "{added}")  -> handlers/backlex/billing.py post_org_billing_checkout']
    finding = (f"handlers/backlex/_plans.py: PLANS has no entry for '{added}', which {checkout} "
               f"(post_org_billing_checkout) accepts as 'plan': add it")
    assert code_findings(done) == [finding]
    assert check_failures(project.codegen("--check")) == [finding]
    refused = project.start_refused(store_url)
    assert refused.returncode == 1 and f"  {finding}\n" in refused.stderr, refused

    plans = project.path("handlers/backlex/_plans.py")  # what the user does next: the plan's row
    text = plans.read_text()
    row = '    "max": {'
    assert row in text
    plans.write_text(text.replace(row, f'    "{added}": {{"projects": None, "members": None, "requests": None, "d1": None, '
                                       f'"r2": None, "neurons": None, "pitr_days": 30, "price_monthly": 999}},\n{row}'))
    check_passes(project.codegen("--check"))


def test_a_quota_a_description_adds_and_an_agent_the_prompt_adds_are_named_at_their_tables(project):
    """Pathmode states its plan quotas in prose (``plan_limit_reached`` with its metric) and
    the agents a prompt is written for (a list the overlay makes an enum, as the description
    states it); the quota numbers and the prompt templates are ours. Each addition names the
    table or template folder to complete, and the handler."""
    notes = "/api/v1/intents/{id}/notes"
    prompt = "/api/v1/intents/{id}/prompt"
    agent = "copilot"

    def change(document):
        operation = document["paths"][notes]["post"]
        operation["description"] += (" Billing-gated: at the workspace's notes quota it returns 403 with body "
                                     "{ error: 'plan_limit_reached', metric: 'notes', current, limit, plan }.")
        [agent_type] = [p for p in document["paths"][prompt]["get"]["parameters"] if p["name"] == "agent_type"]
        agent_type["description"] = agent_type["description"].replace("|generic", f"|generic|{agent}")

    def list_the_agent(overlay):  # the overlay's list follows the description
        [action] = [a for a in overlay["actions"] if "'agent_type'" in a["target"]]
        action["update"]["enum"].append(agent)
    project.edit_document("pathmode", change)
    project.edit_json("specs/pathmode.overlay.json", list_the_agent)
    done = project.codegen()
    generated(done)
    reported = changes(done)
    assert any(line.startswith(f"pathmode: info  POST {notes}  description: description changed") for line in reported)
    assert any(f'GET {prompt}' in line and f'enum value added (null → "{agent}")' in line for line in reported), reported
    expected = [
        f"handlers/pathmode/_common.py: PLAN_LIMITS has no 'notes' quota in free, pro, team, which POST {notes} "
        f"(post_intents_id_notes) is limited by: add it (None: unlimited), and reserve it in "
        f"handlers/pathmode/notes.py:post_intents_id_notes (reserve_quota)",
        f"handlers/pathmode/_prompts.py: templates/prompts/<agent>.{{md,json}}.jinja has no entry for '{agent}', "
        f"which GET {prompt} (get_intents_id_prompt) accepts as 'agent_type': add it",
    ]
    assert code_findings(done) == expected
    assert check_failures(project.codegen("--check")) == expected

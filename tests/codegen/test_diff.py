"""The change-report engine (codegen/diff) on copies of the real documents, mutated here.

Each test states the whole finding: id, level, operation, location, old → new. Counts are read
from the documents, never written down.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

from codegen.diff import LEVELS, Change, DocumentError, compare, load_document, main, render
from codegen.diff.extensions import rate_limit_rule
from codegen.diff.operations import METHODS
from codegen.diff.rules import RULES, classification_table

ROOT = Path(__file__).resolve().parents[2]
_SOURCES = {name: json.loads((ROOT / "specs" / f"{name}.openapi.json").read_text()) for name in ("backlex", "pathmode")}


def document(name: str) -> dict:
    return copy.deepcopy(_SOURCES[name])


def finding(change: Change) -> tuple:
    return change.id, change.level, change.operation, change.location, change.old, change.new


def only(changes: list[Change]) -> tuple:
    assert len(changes) == 1, [str(c) for c in changes]
    return finding(changes[0])


def schemas(doc: dict) -> dict:
    return doc["components"]["schemas"]


def operations_reaching(doc: dict, schema: str, part: str, prefix: str = "/api") -> set[str]:
    """Operations whose ``part`` (responses, requestBody) reaches a component, through others too."""
    refs = {f'"#/components/schemas/{schema}"'}
    grew = True
    while grew:
        grew = False
        for name, body in schemas(doc).items():
            ref = f'"#/components/schemas/{name}"'
            if ref not in refs and any(r in json.dumps(body) for r in refs):
                refs.add(ref)
                grew = True
    return {
        f"{method.upper()} {prefix}{path}"
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS and any(r in json.dumps(op.get(part, {})) for r in refs)
    }


# -- identical documents, naming of operations


@pytest.mark.parametrize("name", ["backlex", "pathmode"])
def test_identical_documents_have_no_changes(name):
    assert compare(document(name), document(name)) == []
    runtime = json.loads((ROOT / "generated" / name / "openapi.json").read_text())
    assert compare(runtime, copy.deepcopy(runtime)) == []


@pytest.mark.parametrize("name", ["backlex", "pathmode"])
def test_upstream_and_runtime_documents_name_every_operation_alike(name):
    runtime = json.loads((ROOT / "generated" / name / "openapi.json").read_text())
    changes = compare(document(name), runtime)
    assert not [c for c in changes if c.id in ("operation-added", "operation-removed", "path-parameter-renamed")]
    upstream_operations = sum(m in METHODS for item in document(name)["paths"].values() for m in item)
    assert upstream_operations == sum(m in METHODS for item in runtime["paths"].values() for m in item)
    generated_from = [c for c in changes if c.location == "x-generated-from"]
    assert [(c.id, c.level, c.operation) for c in generated_from] == [("x-extension-added", "info", None)]


def test_pathmode_operations_carry_the_server_path():
    old = document("pathmode")
    new = document("pathmode")
    del new["paths"]["/api/v1/api-keys"]["get"]
    assert only(compare(old, new)) == (
        "operation-removed", "breaking", "GET /api/v1/api-keys", "operation", "get_api-keys", None)


# -- request schemas reached through components


def test_new_required_field_in_a_component_breaks_the_request_that_uses_it():
    old, new = document("backlex"), document("backlex")
    schemas(new)["CreateProjectInput"]["properties"]["ownerTeam"] = {"type": "string"}
    schemas(new)["CreateProjectInput"]["required"].append("ownerTeam")
    assert operations_reaching(old, "CreateProjectInput", "requestBody") == {"POST /api/org/{slug}/projects"}
    assert only(compare(old, new)) == (
        "request-property-added-required", "breaking", "POST /api/org/{slug}/projects", "request body .ownerTeam",
        None, {"type": "string"})


def test_an_existing_field_made_required():
    old, new = document("backlex"), document("backlex")
    schemas(new)["CreateProjectInput"]["required"].append("region")
    change = compare(old, new)
    assert only(change) == (
        "request-property-became-required", "breaking", "POST /api/org/{slug}/projects", "request body .region",
        False, True)
    assert str(change[0]) == ("breaking  POST /api/org/{slug}/projects  request body .region: "
                              "became required (false → true)")


def test_enum_value_added_to_a_request_is_non_breaking():
    old, new = document("backlex"), document("backlex")
    schemas(new)["AlarmInput"]["properties"]["metric"]["enum"].append("neurons")
    assert only(compare(old, new)) == (
        "request-property-enum-value-added", "non-breaking", "POST /api/org/{slug}/projects/{projectSlug}/alarms",
        "request body .metric: enum", None, "neurons")


def test_enum_value_removed_from_a_request_is_breaking():
    old, new = document("backlex"), document("backlex")
    schemas(new)["AlarmInput"]["properties"]["metric"]["enum"].remove("r2")
    assert only(compare(old, new)) == (
        "request-property-enum-value-removed", "breaking", "POST /api/org/{slug}/projects/{projectSlug}/alarms",
        "request body .metric: enum", "r2", None)


def test_tightened_max_length():
    old, new = document("backlex"), document("backlex")
    schemas(new)["CreateProjectInput"]["properties"]["name"]["maxLength"] = 40
    assert only(compare(old, new)) == (
        "request-property-max-length-tightened", "breaking", "POST /api/org/{slug}/projects",
        "request body .name: maxLength", 60, 40)


def test_a_loosened_bound_is_non_breaking_in_a_request():
    old, new = document("backlex"), document("backlex")
    schemas(new)["AlarmInput"]["properties"]["thresholdPct"]["maximum"] = 200
    assert only(compare(old, new)) == (
        "request-property-maximum-loosened", "non-breaking", "POST /api/org/{slug}/projects/{projectSlug}/alarms",
        "request body .thresholdPct: maximum", 100, 200)


def test_integer_to_number_widens_a_request():
    old, new = document("backlex"), document("backlex")
    schemas(new)["AlarmInput"]["properties"]["thresholdPct"]["type"] = "number"
    assert only(compare(old, new)) == (
        "request-property-type-widened", "non-breaking", "POST /api/org/{slug}/projects/{projectSlug}/alarms",
        "request body .thresholdPct", "integer", "number")


def test_additional_properties_refused_in_a_request():
    old, new = document("backlex"), document("backlex")
    schemas(new)["CreateProjectInput"]["additionalProperties"] = False
    assert only(compare(old, new)) == (
        "request-body-additional-properties-restricted", "breaking", "POST /api/org/{slug}/projects",
        "request body: additionalProperties", True, False)


def test_exclusive_bounds_of_3_0_and_3_1_read_alike():
    old, new = document("backlex"), document("backlex")
    schemas(new)["PitrRestoreInput"]["properties"]["timestamp"] = {"type": "integer", "exclusiveMinimum": 0}
    assert compare(old, new) == []
    schemas(new)["PitrRestoreInput"]["properties"]["timestamp"] = {"type": "integer", "minimum": 0}
    (change,) = compare(old, new)
    assert finding(change)[:4] == ("request-property-minimum-loosened", "non-breaking",
                                   "POST /api/org/{slug}/projects/{projectSlug}/restore", "request body .timestamp: minimum")
    assert (change.old, change.new) == ({"exclusiveMinimum": 0}, 0)


def test_nullable_of_3_0_and_3_1_read_alike():
    old, new = document("backlex"), document("backlex")
    schemas(new)["Org"]["properties"]["webhookUrl"] = {"type": ["string", "null"]}
    assert compare(old, new) == []
    schemas(new)["Org"]["properties"]["webhookUrl"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert compare(old, new) == []


# -- response schemas


def test_response_type_change_is_reported_at_every_operation_reaching_the_component():
    old, new = document("backlex"), document("backlex")
    schemas(new)["Org"]["properties"]["residency"]["type"] = "integer"
    changes = compare(old, new)
    reaching = operations_reaching(old, "Org", "responses")
    assert {c.operation for c in changes} == reaching
    assert {(c.id, c.level, c.old, c.new) for c in changes} == {
        ("response-property-type-changed", "breaking", "string", "integer")}
    assert len(changes) == len(reaching)
    locations = {c.operation: c.location for c in changes}
    assert locations["POST /api/org"] == "response 201 body .org.residency"
    assert locations["PATCH /api/org/{slug}"] == "response 200 body .org.residency"
    # through OrgMembership's allOf, inside an array
    assert locations["GET /api/orgs"] == "response 200 body .orgs[].residency"


def test_response_field_removed_is_breaking():
    old, new = document("backlex"), document("backlex")
    del schemas(new)["Org"]["properties"]["status"]
    schemas(new)["Org"]["required"].remove("status")
    changes = [c for c in compare(old, new) if c.operation == "POST /api/org"]
    assert only(changes) == (
        "response-property-removed", "breaking", "POST /api/org", "response 201 body .org.status", {"type": "string"}, None)


def test_response_field_made_nullable_is_breaking():
    old, new = document("backlex"), document("backlex")
    schemas(new)["Org"]["properties"]["residency"]["nullable"] = True
    changes = [c for c in compare(old, new) if c.operation == "POST /api/org"]
    assert only(changes) == (
        "response-property-became-nullable", "breaking", "POST /api/org", "response 201 body .org.residency", False, True)


def test_response_enum_value_added_and_bound_widened_are_breaking():
    old, new = document("backlex"), document("backlex")
    for doc, values, length in ((old, ["active"], 10), (new, ["active", "suspended"], 20)):
        schemas(doc)["Org"]["properties"]["status"]["enum"] = values
        schemas(doc)["Org"]["properties"]["name"]["maxLength"] = length
    changes = [c for c in compare(old, new) if c.operation == "POST /api/org"]
    assert [finding(c) for c in changes] == [
        ("response-property-max-length-loosened", "breaking", "POST /api/org", "response 201 body .org.name: maxLength", 10, 20),
        ("response-property-enum-value-added", "breaking", "POST /api/org", "response 201 body .org.status: enum",
         None, "suspended"),
    ]


def test_a_response_field_no_longer_required_is_breaking():
    old, new = document("backlex"), document("backlex")
    schemas(new)["Org"]["required"].remove("planId")
    changes = [c for c in compare(old, new) if c.operation == "POST /api/org"]
    assert only(changes) == (
        "response-property-became-optional", "breaking", "POST /api/org", "response 201 body .org.planId", True, False)


def test_a_recursive_schema_does_not_loop():
    old, new = document("backlex"), document("backlex")
    for doc in (old, new):
        schemas(doc)["Node"] = {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "parent": {"$ref": "#/components/schemas/Parent"}}}
        schemas(doc)["Parent"] = {"allOf": [{"$ref": "#/components/schemas/Node"}]}  # recursion through allOf too
        body = doc["paths"]["/orgs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        body["properties"]["tree"] = {"$ref": "#/components/schemas/Node"}
    assert compare(old, copy.deepcopy(old)) == []
    schemas(new)["Node"]["properties"]["name"]["type"] = "integer"
    changes = compare(old, new)
    assert finding(changes[0]) == (
        "response-property-type-changed", "breaking", "GET /api/orgs", "response 200 body .tree.name", "string", "integer")
    assert {c.location for c in changes} <= {"response 200 body .tree.name", "response 200 body .tree.parent.name"}


# -- operations, status codes, parameters


def test_removed_and_added_operations():
    old, new = document("backlex"), document("backlex")
    del new["paths"]["/orgs"]["get"]
    new["paths"]["/orgs"]["post"] = copy.deepcopy(old["paths"]["/org"]["post"])
    assert [finding(c) for c in compare(old, new)] == [
        ("operation-removed", "breaking", "GET /api/orgs", "operation", old["paths"]["/orgs"]["get"]["summary"], None),
        ("operation-added", "non-breaking", "POST /api/orgs", "operation", None, old["paths"]["/org"]["post"]["summary"]),
    ]


def test_removed_status_code_is_breaking():
    old, new = document("backlex"), document("backlex")
    description = new["paths"]["/org"]["post"]["responses"].pop("409")["description"]
    assert only(compare(old, new)) == (
        "response-status-removed", "breaking", "POST /api/org", "response 409", description, None)


def test_path_level_parameter_reaches_every_operation_of_the_path():
    old, new = document("pathmode"), document("pathmode")
    item = new["paths"]["/api/v1/intents/{id}"]
    parameter = {"name": "X-Request-Id", "in": "header", "required": True, "schema": {"type": "string"}}
    item["parameters"] = [parameter]
    methods = [m for m in item if m in METHODS]
    assert methods
    assert [finding(c) for c in compare(old, new)] == [
        ("new-required-request-parameter", "breaking", f"{m.upper()} /api/v1/intents/{{id}}",
         "header parameter X-Request-Id", None, parameter)
        for m in sorted(methods, key=METHODS.index)
    ]


def test_operation_parameter_overrides_the_path_level_one():
    old, new = document("pathmode"), document("pathmode")
    for doc in (old, new):
        doc["paths"]["/api/v1/intents/{id}"]["parameters"] = [
            {"name": "trace", "in": "query", "required": True, "schema": {"type": "string"}}]
    new["paths"]["/api/v1/intents/{id}"]["get"].setdefault("parameters", []).append(
        {"name": "trace", "in": "query", "required": False, "schema": {"type": "string"}})
    assert only(compare(old, new)) == (
        "request-parameter-became-optional", "non-breaking", "GET /api/v1/intents/{id}", "query parameter trace", True, False)


def test_a_parameter_inserted_first_changes_nothing_else():
    old, new = document("backlex"), document("backlex")
    parameter = {"name": "actor", "in": "query", "required": False, "schema": {"type": "string"}}
    new["paths"]["/org/{slug}/audit"]["get"]["parameters"].insert(0, parameter)
    assert only(compare(old, new)) == (
        "new-optional-request-parameter", "non-breaking", "GET /api/org/{slug}/audit", "query parameter actor", None, parameter)


def test_parameter_schema_changes_are_request_changes():
    old, new = document("backlex"), document("backlex")
    limit = {p["name"]: p for p in new["paths"]["/org/{slug}/audit"]["get"]["parameters"]}["limit"]
    limit["schema"] = {"type": "integer"}
    assert only(compare(old, new)) == (
        "request-parameter-type-changed", "breaking", "GET /api/org/{slug}/audit", "query parameter limit", "string", "integer")
    old = copy.deepcopy(new)
    limit["schema"]["maximum"] = 100
    limit["required"] = True
    assert [finding(c) for c in compare(old, new)] == [
        ("request-parameter-became-required", "breaking", "GET /api/org/{slug}/audit", "query parameter limit", False, True),
        ("request-parameter-maximum-tightened", "breaking", "GET /api/org/{slug}/audit", "query parameter limit: maximum",
         None, 100),
    ]


def test_a_renamed_path_parameter_is_the_same_route():
    old, new = document("backlex"), document("backlex")
    item = new["paths"].pop("/org/{slug}/webhooks/{id}")
    for method in (m for m in item if m in METHODS):
        for parameter in item[method]["parameters"]:
            if parameter["name"] == "id":
                parameter["name"] = "webhookId"
    new["paths"]["/org/{slug}/webhooks/{webhookId}"] = item
    methods = sorted((m for m in item if m in METHODS), key=METHODS.index)
    assert [finding(c) for c in compare(old, new)] == [
        ("path-parameter-renamed", "info", f"{m.upper()} /api/org/{{slug}}/webhooks/{{webhookId}}",
         "path parameter webhookId", "id", "webhookId")
        for m in methods
    ]


def test_refs_to_components_parameters_and_request_bodies_are_resolved():
    old, new = document("backlex"), document("backlex")
    audit = new["paths"]["/org/{slug}/audit"]["get"]
    new["components"]["parameters"] = {"Limit": next(p for p in audit["parameters"] if p["name"] == "limit")}
    audit["parameters"] = [p if p["name"] != "limit" else {"$ref": "#/components/parameters/Limit"}
                           for p in audit["parameters"]]
    create = new["paths"]["/org"]["post"]
    new["components"]["requestBodies"] = {"CreateOrg": create["requestBody"]}
    create["requestBody"] = {"$ref": "#/components/requestBodies/CreateOrg"}
    assert compare(old, new) == []
    new["components"]["parameters"]["Limit"]["required"] = True
    new["components"]["requestBodies"]["CreateOrg"]["required"] = True
    assert [finding(c) for c in compare(old, new)] == [
        ("request-body-became-required", "breaking", "POST /api/org", "request body", False, True),
        ("request-parameter-became-required", "breaking", "GET /api/org/{slug}/audit", "query parameter limit", False, True),
    ]


def test_request_body_media_types():
    old, new = document("backlex"), document("backlex")
    content = new["paths"]["/org"]["post"]["requestBody"]["content"]
    content["application/xml"] = content.pop("application/json")
    assert [finding(c) for c in compare(old, new)] == [
        ("request-body-media-type-added", "non-breaking", "POST /api/org", "request body", None, "application/xml"),
        ("request-body-media-type-removed", "breaking", "POST /api/org", "request body", "application/json", None),
    ]


def test_response_headers():
    old, new = document("backlex"), document("backlex")
    header = {"schema": {"type": "integer"}}
    new["paths"]["/orgs"]["get"]["responses"]["200"]["headers"] = {"X-Total": header}
    assert only(compare(old, new)) == (
        "response-header-added", "non-breaking", "GET /api/orgs", "response 200 header X-Total", None, header)
    assert only(compare(new, old)) == (
        "response-header-removed", "breaking", "GET /api/orgs", "response 200 header X-Total", header, None)
    changed = copy.deepcopy(new)
    changed["paths"]["/orgs"]["get"]["responses"]["200"]["headers"] = {"x-total": {"schema": {"type": "string"}}}
    assert only(compare(new, changed)) == (
        "response-header-type-changed", "breaking", "GET /api/orgs", "response 200 header x-total", "integer", "string")


def test_deprecated_operation():
    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/intents"]["get"]["deprecated"] = True
    assert only(compare(old, new)) == (
        "operation-deprecated", "non-breaking", "GET /api/v1/intents", "deprecated", False, True)


def test_operation_id_changed_names_the_sdk_consequence():
    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/intents"]["get"]["operationId"] = "list_intents"
    (change,) = compare(old, new)
    assert finding(change) == (
        "operation-id-changed", "breaking", "GET /api/v1/intents", "operationId", "get_intents", "list_intents")
    assert "generated SDKs" in str(change)


def test_description_edits_are_info():
    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/intents"]["get"]["description"] = "Lists intents."
    assert only(compare(old, new)) == (
        "description-changed", "info", "GET /api/v1/intents", "description",
        old["paths"]["/api/v1/intents"]["get"]["description"], "Lists intents.")
    old, new = document("backlex"), document("backlex")
    schemas(new)["IntegrationInput"]["properties"]["events"]["description"] = "Event patterns."
    assert only(compare(old, new)) == (
        "description-changed", "info", "POST /api/org/{slug}/integrations", "request body .events: description",
        schemas(old)["IntegrationInput"]["properties"]["events"]["description"], "Event patterns.")


# -- security


def test_operation_security_removed_says_it_is_public_now():
    old, new = document("backlex"), document("backlex")
    assert "security" not in old  # backlex has no global security: the operation turns public
    del new["paths"]["/orgs"]["get"]["security"]
    (change,) = compare(old, new)
    assert finding(change) == ("security-removed", "non-breaking", "GET /api/orgs", "security", [{"sessionCookie": []}], [])
    assert "no longer requires authentication" in str(change)


def test_global_security_removed_is_a_document_level_finding():
    old, new = document("pathmode"), document("pathmode")
    assert all("security" in op for item in old["paths"].values() for m, op in item.items() if m in METHODS)
    del new["security"]
    assert only(compare(old, new)) == (
        "global-security-removed", "non-breaking", None, "security", [{"bearerAuth": []}], None)


def test_operation_falling_back_to_a_narrower_global_security_loses_an_alternative():
    old, new = document("pathmode"), document("pathmode")
    del new["paths"]["/api/v1/intents"]["get"]["security"]
    assert only(compare(old, new)) == (
        "security-alternative-removed", "breaking", "GET /api/v1/intents", "security", {"sessionCookie": []}, None)


def test_a_new_security_scheme_requirement_is_breaking():
    old, new = document("backlex"), document("backlex")
    new["paths"]["/orgs"]["get"]["security"] = [{"sessionCookie": [], "apiKey": []}]
    assert only(compare(old, new)) == (
        "security-requirement-added", "breaking", "GET /api/orgs", "security",
        {"sessionCookie": []}, {"sessionCookie": [], "apiKey": []})
    old["paths"]["/orgs"]["get"]["security"] = []
    assert only(compare(old, new)) == (
        "security-added", "breaking", "GET /api/orgs", "security", [], [{"sessionCookie": [], "apiKey": []}])


def test_another_way_to_authenticate_is_non_breaking():
    old, new = document("backlex"), document("backlex")
    new["paths"]["/orgs"]["get"]["security"].append({"apiKey": []})
    assert only(compare(old, new)) == (
        "security-alternative-added", "non-breaking", "GET /api/orgs", "security", None, {"apiKey": []})


def _with_oauth(doc: dict, scopes: dict, required: list[str]) -> dict:
    doc["components"]["securitySchemes"]["oauth"] = {
        "type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": scopes}}}
    doc["paths"]["/orgs"]["get"]["security"] = [{"oauth": required}]
    return doc


def test_oauth2_scopes():
    old = _with_oauth(document("backlex"), {"read": "Read"}, ["read"])
    new = _with_oauth(document("backlex"), {"read": "Read", "write": "Write"}, ["read", "write"])
    assert [finding(c) for c in compare(old, new)] == [
        ("security-scheme-scope-added", "non-breaking", None, "components.securitySchemes.oauth: flows.clientCredentials.scopes",
         None, "write"),
        ("security-scope-added", "breaking", "GET /api/orgs", "security", {"oauth": ["read"]}, {"oauth": ["read", "write"]}),
    ]
    assert [c.id for c in compare(new, old)] == ["security-scheme-scope-removed", "security-scope-removed"]


def test_security_schemes():
    old, new = document("backlex"), document("backlex")
    new["components"]["securitySchemes"]["sessionCookie"]["name"] = "session"
    scheme = new["components"]["securitySchemes"].pop("apiKey")
    new["components"]["securitySchemes"]["bearer"] = scheme
    assert [finding(c) for c in compare(old, new)] == [
        ("security-scheme-removed", "breaking", None, "components.securitySchemes.apiKey", scheme, None),
        ("security-scheme-added", "non-breaking", None, "components.securitySchemes.bearer", None, scheme),
        ("security-scheme-changed", "breaking", None, "components.securitySchemes.sessionCookie: name",
         "better-auth.session_token", "session"),
    ]


# -- x-* rules


def test_rate_limit_lowered_is_breaking():
    old, new = document("pathmode"), document("pathmode")
    assert old["paths"]["/api/v1/api-keys"]["get"]["x-rateLimit"] == "apiKeysRead 120/h"
    new["paths"]["/api/v1/api-keys"]["get"]["x-rateLimit"] = "apiKeysRead 5/h"
    assert only(compare(old, new)) == (
        "x-rate-limit-lowered", "breaking", "GET /api/v1/api-keys", "x-rateLimit", "apiKeysRead 120/h", "apiKeysRead 5/h")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("apiKeysRead 120/h", "5/h", "x-rate-limit-bucket-changed"),
    ("general 300/h", "intents 300/h", "x-rate-limit-bucket-changed"),
    ("general 300/h", "general 600/h", "x-rate-limit-raised"),
    ("general 300/h", "general 6/1m", "x-rate-limit-raised"),
    ("general 300/h", "general 5/1m", "x-rate-limit-rewritten"),
    ("general 300/h", "general 300/1h", "x-rate-limit-rewritten"),
    ("none", "general 300/h", "x-rate-limit-lowered"),
    ("intents 200/h", "none", "x-rate-limit-raised"),
    ("analyzeCodebase 30/24h (per workspace)", "analyzeCodebase 20/24h (per workspace)", "x-rate-limit-lowered"),
    ("analyzeCodebase 30/24h (per workspace)", "analyzeCodebase 30/24h (per user)", "x-rate-limit-bucket-changed"),
    ("general 300/h", "lots", "x-rate-limit-changed"),
])
def test_rate_limit_rules(old, new, expected):
    assert rate_limit_rule(old, new) == expected


def test_scope_rule():
    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/intents"]["get"]["x-scope"] = "write"
    new["paths"]["/api/v1/intents"]["post"]["x-scope"] = "none"
    assert [finding(c) for c in compare(old, new)] == [
        ("x-scope-changed", "breaking", "GET /api/v1/intents", "x-scope", "read", "write"),
        ("x-scope-removed", "non-breaking", "POST /api/v1/intents", "x-scope", "write", "none"),
    ]


def test_auth_rule():
    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/intents"]["get"]["x-auth"] = "cookie-session-only"
    new["paths"]["/api/v1/api-keys"]["get"]["x-auth"] = "api-key-or-cookie"
    assert [finding(c) for c in compare(old, new)] == [
        ("x-auth-widened", "non-breaking", "GET /api/v1/api-keys", "x-auth", "cookie-session-only", "api-key-or-cookie"),
        ("x-auth-narrowed", "breaking", "GET /api/v1/intents", "x-auth", "api-key-or-cookie", "cookie-session-only"),
    ]


def test_other_extensions_are_info_wherever_they_are():
    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/intents"]["get"]["x-stability"] = "beta"
    new["paths"]["/api/v1/intents"]["x-owner"] = "intents-team"
    new["x-audience"] = "partners"
    assert [finding(c) for c in compare(old, new)] == [
        ("x-extension-added", "info", None, "x-audience", None, "partners"),
        ("x-extension-added", "info", "GET /api/v1/intents", "path item: x-owner", None, "intents-team"),
        ("x-extension-changed", "info", "GET /api/v1/intents", "x-stability", "stable", "beta"),
        ("x-extension-added", "info", "POST /api/v1/intents", "path item: x-owner", None, "intents-team"),
    ]


# -- the rules table and the documentation


def test_every_rule_has_a_level_and_a_message():
    assert {rule.level for rule in RULES.values()} == set(LEVELS)
    assert all(rule.message and rule.why for rule in RULES.values())


def test_behaviour_md_carries_the_classification_table():
    text = (ROOT / "docs" / "behaviour.md").read_text()
    assert "## Both APIs — how spec changes are classified" in text
    assert classification_table() in text


# -- rendering and the command line


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture
def history(tmp_path):
    """A git checkout whose HEAD removes an operation and makes a request field required."""
    doc = document("backlex")
    (tmp_path / "api.json").write_text(json.dumps(doc))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "api.json")
    _git(tmp_path, "commit", "-q", "-m", "first")
    del doc["paths"]["/orgs"]["get"]
    schemas(doc)["CreateProjectInput"]["required"].append("region")
    schemas(doc)["AlarmInput"]["properties"]["metric"]["enum"].append("neurons")
    (tmp_path / "api.json").write_text(json.dumps(doc))
    _git(tmp_path, "commit", "-q", "-am", "second")
    return tmp_path


def test_rev_path_reads_from_git(history):
    assert load_document("HEAD~1:api.json", cwd=history) == _SOURCES["backlex"]
    with pytest.raises(DocumentError) as raised:
        load_document("HEAD:missing.json", cwd=history)
    assert "\n" not in str(raised.value)


def test_cli_json_from_git_revisions(history, monkeypatch, capsys):
    monkeypatch.chdir(history)
    assert main(["HEAD~1:api.json", "HEAD:api.json", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in rows} == {"operation-removed", "request-property-became-required",
                                           "request-property-enum-value-added"}
    assert set(rows[0]) == {"id", "level", "operation", "location", "old", "new"}


def test_cli_fail_on(history, monkeypatch, capsys):
    monkeypatch.chdir(history)
    assert main(["HEAD~1:api.json", "HEAD:api.json"]) == 0
    assert main(["HEAD~1:api.json", "HEAD:api.json", "--fail-on", "breaking"]) == 1
    assert main(["HEAD:api.json", "api.json", "--fail-on", "info"]) == 0  # identical
    doc = json.loads((history / "api.json").read_text())
    schemas(doc)["AlarmInput"]["properties"]["metric"]["enum"].append("cpu")  # non-breaking only
    (history / "widened.json").write_text(json.dumps(doc))
    assert main(["api.json", "widened.json", "--fail-on", "breaking"]) == 0
    assert main(["api.json", "widened.json", "--fail-on", "non-breaking"]) == 1
    assert main(["api.json", "widened.json", "--fail-on", "info"]) == 1
    capsys.readouterr()


def test_cli_markdown_lists_breaking_first(history, monkeypatch, capsys):
    monkeypatch.chdir(history)
    assert main(["HEAD~1:api.json", "HEAD:api.json", "--format", "markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith(("| level", "| ---"))]
    levels = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert levels == sorted(levels, key=LEVELS.index) and levels[0] == "breaking"
    assert "| level | operation | location | change | old | new |" in lines


def test_text_groups_by_operation_and_counts_levels(history):
    changes = compare(load_document("HEAD~1:api.json", cwd=history), load_document("HEAD:api.json", cwd=history))
    lines = render(changes, "text").splitlines()
    assert lines[-1] == ", ".join(f"{sum(c.level == level for c in changes)} {level}" for level in LEVELS)
    operations = [line for line in lines[:-1] if not line.startswith("  ")]
    assert operations == list(dict.fromkeys(c.operation for c in changes))


@pytest.mark.parametrize("content", [None, "{not json: [", "[1, 2]"])
def test_cli_unreadable_input_exits_2_with_one_line(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document("pathmode")))
    assert main([str(bad), str(good)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("spec-server diff: ")


def test_spec_server_diff_subcommand(tmp_path, capsys):
    from spec_server.cli import main as spec_server

    old, new = document("pathmode"), document("pathmode")
    new["paths"]["/api/v1/api-keys"]["get"]["x-rateLimit"] = "apiKeysRead 5/h"
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    assert spec_server(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "breaking"]) == 1
    assert "x-rateLimit: rate limit lowered" in capsys.readouterr().out

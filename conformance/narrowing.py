"""Where a generic check's expectation contradicts a documented rule, narrowed per operation.

Every entry cites the rule (docs/behaviour.md section or the spec text). No check is
switched off wholesale: each narrowing names the operation(s) and the status or case.
"""

from __future__ import annotations

# positive_data_acceptance expects 2xx for schema-valid input; these documented outcomes of
# valid input are not failures for the named operations.
POSITIVE_ALSO_ACCEPTS: dict[str, dict[str, tuple[str, ...]]] = {
    "backlex": {
        # docs/behaviour.md "backlex — Organization" (audit) and "— Integrations (notifications)":
        # the document types from/to/limit/offset as free strings; a malformed value is 422
        **dict.fromkeys(("get_org_audit", "get_org_notifications"),
                        ("401", "403", "404", "409", "422", "429")),
        # "backlex — Enterprise SSO": the config each type needs is checked by the handler (422)
        "put_org_sso": ("401", "403", "404", "409", "422", "429"),
        # "backlex — Projects": a point in time outside the plan's window or in the future is
        # 422; an unknown template ?version= is 422. "— Integrations": per-kind integration
        # config is checked by the handler (422); webhook URLs on private or loopback targets
        # are refused (422)
        **dict.fromkeys(("post_org_project_restore", "post_org_project_upgrade", "post_org_integrations",
                         "post_org_webhooks"), ("401", "403", "404", "409", "422", "429")),
    },
    "pathmode": {},
}


INTENT_BODIES = ("POST /intents", "GET /intents/{id}", "PATCH /intents/{id}", "PATCH /intents/{id}/status")

# example_shape: keys of a documented example that a documented rule lets the server omit
# (or send as null), by operation label and path ("[]" stands for any list index).
EXAMPLE_OPTIONAL: dict[str, set[str]] = {
    # docs/behaviour.md "Pathmode — workspace": "Products: ... falsy optional columns omitted"
    "GET /workspace": {f"$.products[].{key}" for key in (
        "description", "productVision", "northStar", "targetAudience", "manifest", "icon", "color",
        "isExample", "stages", "tags")}
    # "... Constitution rules: rationale/scope omitted when null, examples when not an array"
    | {"$.constitutionRules[].rationale", "$.constitutionRules[].scope", "$.constitutionRules[].examples"},
    "GET /workspace/constitution": {"$.rules[].rationale", "$.rules[].scope", "$.rules[].examples"},
    # the findings description: "target, correction, and source are echoed back only when supplied"
    "POST /intents/{id}/findings": {f"$.finding.{key}" for key in ("target", "correction", "source")},
    "GET /intents/{id}/findings": {f"$.findings[].{key}" for key in ("target", "correction", "source")},
}
# the 200 description: "plus verificationChecklist + verificationChecklistCount for
# shipped/verified transitions" (absent for the other transitions)
EXAMPLE_OPTIONAL["PATCH /intents/{id}/status"] = {"$.verificationChecklist", "$.verificationChecklistCount"}
EXAMPLE_NULLABLE: dict[str, set[str]] = {
    # a key never used has no last use: lastUsedAt is the key row's nullable last_used_at
    # ("lastUsedAt is refreshed at most once a minute", handlers/pathmode/_api.py)
    "GET /api-keys": {"$.keys[].lastUsedAt", "$.keys[].expiresAt"},
    # products created without a signed-in creator (seeded, examples) have no createdBy
    "GET /workspace": {"$.products[].createdBy"},
    # docs/behaviour.md "Pathmode — corrections": problemSeverity is a "Nullable severity
    # enum" (PM-SCHEMA-CONFLICT-8); an intent created without one reads back null
    **{label: {"$.problemSeverity"} for label in INTENT_BODIES},
    "GET /intents": {"$.intents[].problemSeverity"},
}
# shippedAt/verifiedAt are set by the shipped/verified transitions (PATCH status description:
# "draft/validated/approved clear shipped_at"): null before them
for _label in INTENT_BODIES:
    EXAMPLE_NULLABLE[_label] = EXAMPLE_NULLABLE.get(_label, set()) | {"$.shippedAt", "$.verifiedAt"}
EXAMPLE_NULLABLE["GET /intents"] |= {"$.intents[].shippedAt", "$.intents[].verifiedAt"}


def example_allowance(label: str) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(EXAMPLE_OPTIONAL.get(label, ())), frozenset(EXAMPLE_NULLABLE.get(label, ()))


_request_rules: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def request_rules(document: dict) -> tuple[frozenset[str], frozenset[str]]:
    """Two readings of the document's own request schemas, applied to its response examples:

    * a property a request body leaves optional may read back null (the client may never
      have sent it): its name is nullable;
    * a property a request body declares as a free-form object (``type: object`` without
      ``properties``: ``verification``, ``evidenceAnchors``, ``context``) is a map whose keys
      are data: the example's keys under it are illustrations, not required keys.
    """
    key = id(document)
    if key not in _request_rules:
        optional, maps = set(), set()
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                content = operation.get("requestBody", {}).get("content", {})
                schema = content.get("application/json", {}).get("schema", {})
                _collect(schema, document, optional, maps)
        _request_rules[key] = (frozenset(optional), frozenset(maps))
    return _request_rules[key]


def _collect(schema: dict, document: dict, optional: set, maps: set, depth: int = 0) -> None:
    if depth > 6 or not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document.get("components", {}).get("schemas", {}).get(name, {})
    required = set(schema.get("required", []))
    for name, sub in (schema.get("properties") or {}).items():
        if name not in required:
            optional.add(name)
        if isinstance(sub, dict) and sub.get("type") == "object" and not sub.get("properties"):
            maps.add(name)
        _collect(sub, document, optional, maps, depth + 1)
        if isinstance(sub, dict) and isinstance(sub.get("items"), dict):
            _collect(sub["items"], document, optional, maps, depth + 1)


def operation_overrides(api: str) -> list[dict]:
    overrides = []
    for operation_id, statuses in POSITIVE_ALSO_ACCEPTS[api].items():
        overrides.append({
            "include-operation-id": operation_id,
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2XX", *statuses]}},
        })
    return overrides


# Failures of a generic check that a documented rule makes correct, per operation; each rule
# names the operation, the check, the exact answer it accepts and the rule's source.
def _error_text(response) -> str:
    try:
        return str(response.json().get("error", ""))
    except Exception:
        return ""


DOCUMENTED_ANSWERS = [
    # docs/behaviour.md "Pathmode — corrections": PATCH intents requires at least one updatable
    # field; {} (or only unknown fields) is 400 "At least one field must be provided to update"
    ("PATCH /intents/{id}", "positive_data_acceptance",
     lambda case, response: response.status_code == 400
     and _error_text(response).startswith("At least one field must be provided")),
    # docs/behaviour.md "Pathmode — readiness": an intent that is not ready is 422 (documented)
    ("GET /intents/{id}/prompt", "positive_data_acceptance", lambda case, response: response.status_code == 422),
    ("GET /export", "positive_data_acceptance", lambda case, response: response.status_code == 422),
    # docs/behaviour.md "Pathmode — analyze-codebase": "400 no repository bound" (in-process the
    # suite binds a sample repository to tenant A; a remote deployment may bind none)
    ("POST /intents/{id}/analyze-codebase", "positive_data_acceptance",
     lambda case, response: response.status_code == 400 and "repository" in _error_text(response).lower()),
]

FAILURE_CHECKS = {"RejectedPositiveData": "positive_data_acceptance",
                  "AcceptedNegativeData": "negative_data_rejection"}


def _refused_nul(case, response) -> bool:
    """docs/behaviour.md "Both APIs": text with U+0000 is refused on every operation (PostgreSQL
    cannot store it), so schema-valid data carrying one is rightly a 400/422."""
    from spec_server.pipeline import NUL_MESSAGE, has_nul

    carried = [case.body, case.query, case.path_parameters, case.headers, case.cookies]
    return (response.status_code in (400, 422) and NUL_MESSAGE in response.text
            and any(has_nul(value) for value in carried if value))


def install(schema) -> None:
    """Drop exactly the failures ``DOCUMENTED_ANSWERS`` makes correct (a filter_failure hook)."""

    @schema.hook("filter_failure")
    def documented_answer(context, failure, case, response) -> bool:
        check = FAILURE_CHECKS.get(type(failure).__name__)
        if check == "positive_data_acceptance" and _refused_nul(case, response):
            return False
        for label, rule_check, accepts in DOCUMENTED_ANSWERS:
            if check == rule_check and case.operation.label == label and accepts(case, response):
                return False
        return True

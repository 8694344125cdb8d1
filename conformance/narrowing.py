"""Where a generic check's expectation contradicts a documented rule, narrowed per operation.

The entries are each API plugin's (``conformance.plugin.Narrowing``), every one citing its
rule (docs/behaviour.md section or the spec text); this module applies them, and holds the
readings of a document that hold for any API. No check is switched off wholesale: each
narrowing names the operation(s) and the status or case.
"""

from __future__ import annotations

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


def operation_overrides(narrowing) -> list[dict]:
    """schemathesis per-operation settings from an API plugin's ``Narrowing``."""
    overrides = []
    for operation_id, statuses in narrowing.positive_also_accepts.items():
        overrides.append({
            "include-operation-id": operation_id,
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2XX", *statuses]}},
        })
    return overrides


FAILURE_CHECKS = {"RejectedPositiveData": "positive_data_acceptance",
                  "AcceptedNegativeData": "negative_data_rejection",
                  "UndefinedStatusCode": "status_code_conformance"}


def _refused_nul(case, response) -> bool:
    """docs/behaviour.md "Both APIs": text with U+0000 is refused on every operation (PostgreSQL
    cannot store it), so schema-valid data carrying one is rightly a 400/422."""
    from spec_server.pipeline import NUL_MESSAGE, has_nul

    carried = [case.body, case.query, case.path_parameters, case.headers, case.cookies]
    return (response.status_code in (400, 422) and NUL_MESSAGE in response.text
            and any(has_nul(value) for value in carried if value))


def install(schema, narrowing) -> None:
    """Drop exactly the failures the plugin's ``documented_answers`` make correct (a filter_failure hook)."""

    @schema.hook("filter_failure")
    def documented_answer(context, failure, case, response) -> bool:
        check = FAILURE_CHECKS.get(type(failure).__name__)
        if check == "positive_data_acceptance" and _refused_nul(case, response):
            return False
        for label, rule_check, accepts in narrowing.documented_answers:
            if check == rule_check and case.operation.label == label and accepts(case, response):
                return False
        return True

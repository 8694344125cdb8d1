"""What the parser reads into the operation table for hand-written tables to be checked
against (``spec_server.choices``): the enums of a body's properties and of parameters, and
the plan quotas Pathmode's descriptions name."""

from __future__ import annotations

from codegen.parser import _body_choices, _quota_metrics

DOCUMENT = {"components": {
    "schemas": {
        "Plan": {"type": "string", "enum": ["pro", "max", None], "nullable": True},
        "Base": {"type": "object", "properties": {"interval": {"type": "string", "enum": ["monthly"]}}},
        "Checkout": {"allOf": [{"$ref": "#/components/schemas/Base"}, {
            "type": "object", "properties": {"plan": {"$ref": "#/components/schemas/Plan"},
                                             "seats": {"type": "integer", "enum": [1, 5]},
                                             "note": {"type": "string"}}}]},
    },
    "requestBodies": {"Checkout": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Checkout"}}}}},
    "responses": {"Limited": {"description": "{ error: 'plan_limit_reached', metric: 'seats', current, limit, plan }"}},
}}


def test_a_bodys_string_enums_are_read_through_refs_and_all_of():
    operation = {"requestBody": {"$ref": "#/components/requestBodies/Checkout"}}
    # strings only (an integer enum keys no table of ours), a null left out of the values
    assert _body_choices(DOCUMENT, operation) == (("interval", ("monthly",)), ("plan", ("pro", "max")))
    assert _body_choices(DOCUMENT, {}) == ()


def test_the_quotas_named_in_an_operations_and_its_answers_descriptions():
    operation = {"description": "Billing-gated on the intents metric.",
                 "responses": {"201": {"description": "Created"}, "403": {"$ref": "#/components/responses/Limited"}}}
    assert _quota_metrics(DOCUMENT, operation) == (("intents", "seats"), True)


def test_a_plan_limit_mentioned_without_its_metric_is_flagged():
    mentioned = {"description": "Returns 403 plan_limit_reached when the workspace is full."}
    assert _quota_metrics(DOCUMENT, mentioned) == ((), True)  # codegen warns: the quota check lost its subject
    assert _quota_metrics(DOCUMENT, {"description": "Lists notes."}) == ((), False)

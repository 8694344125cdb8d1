"""Hand-written tables keyed by the documents' lists (``spec_server.choices``), as ``codegen
--check`` and start-up apply them; the regeneration workflow's own cases are in
``tests/workflow/test_regeneration.py``."""

from __future__ import annotations

import dataclasses

import pytest

from generated.backlex.operations import BY_ID as BACKLEX
from generated.backlex.operations import OPERATIONS as BACKLEX_OPERATIONS
from generated.pathmode.operations import BY_ID as PATHMODE
from generated.pathmode.operations import OPERATIONS as PATHMODE_OPERATIONS
from handlers.backlex import _plans
from handlers.pathmode import _common
from spec_server import choices
from spec_server.choices import Keyed

APIS = {"backlex": BACKLEX_OPERATIONS, "pathmode": PATHMODE_OPERATIONS}


@pytest.mark.parametrize("api", sorted(APIS))
def test_every_declared_table_covers_its_list_today(api):
    tables = choices.declared_in(f"handlers.{api}")
    assert tables  # each API keys some table by a list of its document
    assert choices.findings(tables, APIS[api]) == []


def test_a_value_the_table_lacks_is_named_with_the_operation_and_field():
    checkout = BACKLEX["post_org_billing_checkout"]
    keyed = Keyed("handlers.backlex._plans", "PLANS", {"pro": {}}, checkout.operation_id, "plan")
    missing = [value for value in checkout.choices("plan") if value != "pro"]
    assert missing  # the document sells more plans than this table has
    assert choices.findings([keyed], BACKLEX_OPERATIONS) == [
        f"handlers/backlex/_plans.py: PLANS has no entry for {', '.join(map(repr, missing))}, which POST "
        f"/api/org/{{slug}}/billing/checkout (post_org_billing_checkout) accepts as 'plan': add them"]


def test_a_link_to_an_operation_or_list_the_document_dropped_is_named():
    gone = Keyed("handlers.backlex._plans", "PLANS", _plans.PLANS, "post_org_billing_upgrade", "plan")
    unlisted = dataclasses.replace(BACKLEX["post_org_billing_checkout"], body_choices=())
    lines = choices.findings([gone], BACKLEX_OPERATIONS)
    lines += choices.findings(_plans.KEYED[:1], [unlisted])
    assert lines == [
        "handlers/backlex/_plans.py: PLANS is keyed by 'plan' of post_org_billing_upgrade, but no such operation "
        "in the document: check the table and correct its KEYED entry",
        "handlers/backlex/_plans.py: PLANS is keyed by 'plan' of post_org_billing_checkout, but it lists no "
        "values for 'plan' in the document: check the table and correct its KEYED entry"]


def test_a_parameter_list_keys_a_table_too():
    prompt = PATHMODE["get_intents_id_prompt"]
    assert set(prompt.choices("format")) == {"json", "markdown"}
    narrowed = Keyed("handlers.pathmode._prompts", "TEMPLATE_SUFFIX", {"json": "json"}, prompt.operation_id, "format")
    [line] = choices.findings([narrowed], PATHMODE_OPERATIONS)
    assert "TEMPLATE_SUFFIX has no entry for 'markdown'" in line


def test_each_quota_the_descriptions_name_has_a_number_in_every_plan():
    named = {metric for op in PATHMODE_OPERATIONS for metric in op.quota_metrics}
    assert named  # the document names plan quotas (post intents, evidence, api keys)
    assert all(set(limits) == named for limits in _common.PLAN_LIMITS.values())
    assert _common.plan_limit_findings(PATHMODE_OPERATIONS) == []
    stated_nowhere = [dataclasses.replace(op, quota_metrics=()) for op in PATHMODE_OPERATIONS]
    assert _common.plan_limit_findings(stated_nowhere) == [
        f"handlers/pathmode/_common.py: PLAN_LIMITS quota {metric!r} is named by no operation of the document: "
        f"remove it, or find the operation that now states it" for metric in sorted(named)]


def test_every_backlex_plan_states_every_limit():
    """The plan table is read by name (``_plans.limit``): a plan missing a row would read None, unlimited."""
    names = {name for row in _plans.PLANS.values() for name in row}
    assert set(_plans.METRICS) <= names
    assert all(set(row) == names for row in _plans.PLANS.values())

"""The permission table's completeness rules, as ``codegen --check`` and start-up apply them."""

from __future__ import annotations

import dataclasses

import pytest

from generated.backlex.operations import BY_ID, OPERATIONS
from handlers.backlex._permissions import findings


def test_the_generated_operations_fit_the_table():
    assert findings(OPERATIONS) == []


@pytest.mark.parametrize("security", [(), ((),)], ids=["no security", "an empty alternative"])
def test_an_org_scoped_operation_the_document_makes_public_is_named(security):
    """Its row is decided by the caller's role, and a public request has no caller: without this
    finding the first request answered 500 from the role check."""
    public = dataclasses.replace(BY_ID["get_org_webhooks"], security=security)
    rows = [public if op.operation_id == "get_org_webhooks" else op for op in OPERATIONS]
    assert findings(rows) == [
        "handlers/backlex/_permissions.py: GET /api/org/{slug}/webhooks (get_org_webhooks) is public in the "
        "document (no security), but org-scoped operations are decided by the caller's role: restore its "
        "security with an action in specs/backlex.overlay.json, or serve anonymous callers in _api.py"]


def test_a_public_operation_outside_an_org_needs_no_row():
    outside = next(op for op in OPERATIONS if "{slug}" not in op.path)
    public = dataclasses.replace(outside, security=())
    assert findings([public if op is outside else op for op in OPERATIONS]) == []


def test_a_hand_written_bucket_without_numbers_stops_the_start(monkeypatch):
    """The invitation and token-minting limits are not in the document: each bucket a handler
    names must be in the API's own table, or start-up and --check name the line that uses it."""
    from handlers.backlex import _api
    from spec_server import apis

    without = dataclasses.replace(_api.API, extra_rate_limits={
        name: limit for name, limit in _api.API.extra_rate_limits.items() if name != "tokenMinting"})
    lines = apis.completeness_findings([without])
    assert len(lines) == 1
    assert lines[0].startswith("handlers/backlex/organization.py:")
    assert "rate-limit bucket 'tokenMinting' is in no table" in lines[0]
    assert apis.completeness_findings([_api.API]) == []

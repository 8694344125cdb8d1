"""An operation the document makes public meets no security step, yet every Pathmode handler
reads the caller: ``--check`` and start-up name it (``ApiDefinition.completeness``)."""

from __future__ import annotations

import dataclasses

from generated.pathmode.operations import BY_ID, OPERATIONS
from handlers.pathmode._api import API, public_operation_findings


def test_every_operation_of_the_document_has_security():
    assert public_operation_findings(OPERATIONS) == []
    rows = [dataclasses.replace(op, security=()) if op.operation_id == "get_workspace" else op for op in OPERATIONS]
    named = public_operation_findings(rows)
    assert named and set(named) <= set(API.completeness(rows))  # the API's rules include this one


def test_a_public_operation_is_named():
    public = dataclasses.replace(BY_ID["get_workspace"], security=())
    optional = dataclasses.replace(BY_ID["get_export"], security=((("bearerAuth", ()),), ()))
    assert public_operation_findings([public, optional, BY_ID["get_intents"]]) == [
        "handlers/pathmode/_api.py: GET /api/v1/workspace (get_workspace) is public in the document (no "
        "security), but its x-auth is 'api-key-or-cookie' and every handler reads the caller: restore its "
        "security with an action in specs/pathmode.overlay.json, or serve anonymous callers here",
        "handlers/pathmode/_api.py: GET /api/v1/export (get_export) is public in the document (no "
        "security), but its x-auth is 'api-key-or-cookie' and every handler reads the caller: restore its "
        "security with an action in specs/pathmode.overlay.json, or serve anonymous callers here",
    ]

"""Pathmode — findings: write-back findings recorded against an intent."""

from __future__ import annotations

from peewee import fn

from generated.pathmode import models
from handlers.pathmode import _finding_rules
from handlers.pathmode._common import intent_in_workspace, next_timestamp
from handlers.pathmode._findings import OPTIONAL_FIELDS, finding_view, open_findings, visible_findings
from handlers.pathmode.store import Finding
from spec_server.db import serialize, write_transaction
from spec_server.text import trim


def get_intents_id_findings(id_, status=None,
                            workspace_id=None) -> tuple[models.GetIntentsIdFindingsResponse200, int]:
    intent = intent_in_workspace(id_)
    findings = visible_findings(intent.id)
    if status is not None:  # filtered after the sanitize pass
        findings = [finding for finding in findings if finding["status"] == status]
    return {"intentId": intent.id, "findings": findings, "count": len(findings)}, 200


def post_intents_id_findings(id_, body,
                             workspace_id=None) -> tuple[models.PostIntentsIdFindingsResponse201, int]:
    intent = intent_in_workspace(id_)
    given = {field: trim(body[field]) for field in OPTIONAL_FIELDS if isinstance(body.get(field), str)}
    with write_transaction():
        serialize(f"findings:{intent.id}")
        latest = Finding.select(fn.MAX(Finding.recorded_at)).where(Finding.intent == intent.id).scalar()
        row = Finding.create(intent=intent.id, assumption=trim(body["assumption"]),
                             finding=trim(body["finding"]), status="open",
                             recorded_at=next_timestamp(latest), **given)
        parsed = _finding_rules.parse_target(row.target)
        if parsed and parsed[0] == "check":
            _finding_rules.flip_check_to_failing(intent_in_workspace(intent.id), parsed[1], row.id)
        open_count = len(open_findings(intent.id))
    return {"intentId": intent.id, "finding": finding_view(row), "openCount": open_count}, 201

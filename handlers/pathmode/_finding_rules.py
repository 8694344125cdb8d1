"""How findings move from open to reconciled or dismissed (see docs/behaviour.md,
"Pathmode — findings").

A finding's ``target`` names the part of the spec it contradicts. The spec's own edit is
the signal that the contradiction was dealt with:

- a PATCH that changes the targeted part (objective, an outcome, a constraint, an edge
  case, a verification check) reconciles the finding;
- a finding with no target, or a prose target, is reconciled by any PATCH that changes
  the spec's content (we cannot tell which part it meant);
- a structured target that names a part the intent does not have, before or after the
  PATCH, can never be reconciled: the PATCH dismisses it.

Recording a finding whose target is ``check:<id>`` marks that verification check failing.
"""

from __future__ import annotations

import copy

from handlers.pathmode import _intents
from handlers.pathmode._common import next_timestamp
from handlers.pathmode.store import Finding, Intent
from spec_server import clock

CONTENT_FIELDS = ("title", "objective", "outcomes", "constraints", "healthMetrics", "edgeCases",
                  "verification", "scope")
MISSING = object()  # the targeted part does not exist


def parse_target(target: str | None) -> tuple[str, str] | None:
    """``'outcome:abc'`` → ``('outcome', 'abc')``; ``'objective'`` → ``('objective', '')``;
    prose or no target → None."""
    if not target:
        return None
    if target == "objective":
        return "objective", ""
    kind, sep, key = target.partition(":")
    if sep and kind in ("outcome", "constraint", "edgeCase", "check") and key:
        return kind, key
    return None


def _checks(verification) -> list:
    checks = verification.get("checks") if isinstance(verification, dict) else None
    return checks if isinstance(checks, list) else []


def targeted_part(intent: Intent, kind: str, key: str):
    """The current value of the part a structured target names, or MISSING."""
    if kind == "objective":
        return intent.objective
    if kind == "outcome":
        return next((o for o in intent.outcomes or [] if isinstance(o, dict) and o.get("id") == key), MISSING)
    if kind == "constraint":
        constraints = intent.constraints or []
        return constraints[int(key)] if key.isdigit() and int(key) < len(constraints) else MISSING
    if kind == "check":
        return next((c for c in _checks(intent.verification) if isinstance(c, dict) and c.get("id") == key),
                    MISSING)
    return MISSING  # edge cases are rows: see edge_case_part


def flip_check_to_failing(intent: Intent, check_id: str, finding_id: str) -> bool:
    """Mark ``verification.checks[id=check_id]`` failing; False when the intent has no such check."""
    verification = copy.deepcopy(intent.verification) if isinstance(intent.verification, dict) else {}
    for check in _checks(verification):
        if isinstance(check, dict) and check.get("id") == check_id:
            check["status"] = "failing"
            check["failingFindingId"] = finding_id
            break
    else:
        return False
    Intent.update(verification=verification, updated_at=next_timestamp(intent.updated_at)).where(
        Intent.id == intent.id).execute()
    return True


def edge_case_part(cases: list[dict], key: str):
    return next(({"scenario": c["scenario"], "expectedBehavior": c["expectedBehavior"]}
                 for c in cases if c["id"] == key), MISSING)


def _outcome_after_patch(before: Intent, after: Intent, body: dict, finding: Finding,
                         cases_before: list[dict] | None) -> str | None:
    """The status a PATCH moves an open finding to, or None when it stays open."""
    parsed = parse_target(finding.target)
    changed_content = [field for field in CONTENT_FIELDS if field in body]
    if parsed is None:
        return "reconciled" if changed_content else None
    kind, key = parsed
    if kind == "edgeCase":
        if cases_before is None:  # the PATCH left the edge cases alone
            return None if any(c["id"] == key for c in _intents.edge_cases_of(after.id)) else "dismissed"
        old, new = edge_case_part(cases_before, key), edge_case_part(_intents.edge_cases_of(after.id), key)
    else:
        old, new = targeted_part(before, kind, key), targeted_part(after, kind, key)
    if old is MISSING and new is MISSING:
        return "dismissed"
    if kind == "check" and isinstance(new, dict) and old is not MISSING:
        # the failing mark we set is not an edit; compare the checks without it
        old = {k: v for k, v in old.items() if k not in ("status", "failingFindingId")}
        new_plain = {k: v for k, v in new.items() if k not in ("status", "failingFindingId")}
        return "reconciled" if old != new_plain or new.get("status") != "failing" else None
    return "reconciled" if old != new else None


def after_intent_patch(before: Intent, after: Intent, body: dict,
                       cases_before: list[dict] | None = None) -> None:
    """Called inside the PATCH /intents/{id} transaction; ``cases_before`` holds the edge cases
    the PATCH replaced (None when it did not touch them). Edge cases keep their ids across a
    PATCH, so an ``edgeCase:<id>`` finding is reconciled only when that case changed or went."""
    now = clock.now_ms()
    for finding in Finding.select().where((Finding.intent == after.id) & (Finding.status == "open")):
        status = _outcome_after_patch(before, after, body, finding, cases_before)
        if status is not None:
            Finding.update(status=status, reconciled_at=now if status == "reconciled" else None).where(
                Finding.id == finding.id).execute()

"""Findings as the API shows them: one row each, sanitized on read.

Each finding is its own row (the original appends to a JSON array with a read-modify-write,
which loses findings under concurrent writes). Reading "sanitizes": malformed legacy rows
are dropped, text is capped, and only the newest ``MAX_FINDINGS`` are shown. The prompt
builder reads ``open_findings`` to tell the next agent where the spec may be stale.
"""

from __future__ import annotations

from typing import Any

from generated.pathmode.operations import BY_ID
from handlers.pathmode.store import Finding
from spec_server import clock
from spec_server.choices import Keyed
from spec_server.text import trim

# the statuses the document lists (its findings filter); a stored row with another is malformed.
# KEYED names the list, so --check and start-up stop if the document no longer has it
STATUSES = BY_ID["get_intents_id_findings"].choices("status") or ()
KEYED = (Keyed(__name__, "STATUSES", STATUSES, "get_intents_id_findings", "status"),)
MAX_FINDINGS = 200  # newest findings shown per intent; older ones stay stored
MAX_TEXT = 4000  # characters shown per text field
OPTIONAL_FIELDS = ("target", "correction", "source")


def _text(value) -> str | None:
    return trim(value)[:MAX_TEXT] if isinstance(value, str) and trim(value) else None


def finding_view(row: Finding) -> dict | None:
    """The API shape, or None for a malformed legacy row."""
    assumption, finding = _text(row.assumption), _text(row.finding)
    if assumption is None or finding is None or row.status not in STATUSES or not isinstance(row.recorded_at, int):
        return None
    view: dict[str, Any] = {"id": row.id, "assumption": assumption, "finding": finding}
    for field in OPTIONAL_FIELDS:  # echoed only when given
        if _text(getattr(row, field)) is not None:
            view[field] = _text(getattr(row, field))
    view["status"] = row.status
    view["recordedAt"] = row.recorded_at
    if row.status == "reconciled" and row.reconciled_at is not None:
        view["reconciledAt"] = clock.iso(row.reconciled_at)
    return view


def visible_findings(intent_id: str) -> list[dict]:
    """Sanitized findings in the order they were recorded, capped to the newest."""
    rows = Finding.select().where(Finding.intent == intent_id).order_by(Finding.recorded_at, Finding.id)
    shown = [view for view in map(finding_view, rows) if view is not None]
    return shown[-MAX_FINDINGS:]


def open_findings(intent_id: str) -> list[dict]:
    return [finding for finding in visible_findings(intent_id) if finding["status"] == "open"]

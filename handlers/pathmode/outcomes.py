"""Pathmode — outcomes: measurements of an intent's outcomes (cookie session only).

The original has no workspace_id and no membership check here; it relies on row-level
security. We apply the same rule explicitly: a user who is not a member of the intent's
workspace sees an empty list, and a POST is 404 (the intent is not visible to them).
"""

from __future__ import annotations

import math

from peewee import fn

from generated.pathmode import models
from handlers.pathmode._common import caller, next_timestamp
from handlers.pathmode.store import Intent, Membership, OutcomeMeasurement
from spec_server import clock
from spec_server.db import serialize, write_transaction
from spec_server.errors import BadRequest, NotFound
from spec_server.text import trim


def visible_intent(intent_id: str) -> Intent | None:
    """The intent if the session user is a member of its workspace (the RLS rule)."""
    return (Intent.select().join(Membership, on=(Membership.workspace == Intent.workspace))
            .where((Intent.id == intent_id) & (Membership.user == caller().user_id)).first())


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def measurement_view(row: OutcomeMeasurement) -> dict:
    return {
        "id": row.id,
        "intentId": row.intent_id,
        "outcomeIndex": _number(row.outcome_index),
        "outcomeText": row.outcome_text,
        "baselineValue": row.baseline_value,
        "actualValue": row.actual_value,
        "unit": row.unit,
        "met": row.met,
        "source": row.source,
        "recordedBy": row.recorded_by,
        "measuredAt": clock.iso(row.measured_at),
    }


def get_intents_id_outcomes(id_) -> tuple[models.GetIntentsIdOutcomesResponse200, int]:
    intent = visible_intent(id_)
    if intent is None:
        return {"measurements": []}, 200
    rows = (OutcomeMeasurement.select().where(OutcomeMeasurement.intent == intent.id)
            .order_by(OutcomeMeasurement.outcome_index, OutcomeMeasurement.measured_at.desc(),
                      OutcomeMeasurement.id))
    return {"measurements": [measurement_view(row) for row in rows]}, 200


def finite_index(value) -> float:
    """outcomeIndex as stored: any number a double holds (JSON allows more, e.g. 1e400)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise BadRequest("outcomeIndex must be a finite number",
                         details={"formErrors": [], "fieldErrors": {"outcomeIndex": ["Out of range"]}})
    return value


def post_intents_id_outcomes(id_, body) -> tuple[models.PostIntentsIdOutcomesResponse201, int]:
    intent = visible_intent(id_)
    if intent is None:
        raise NotFound("Intent not found")
    outcome_index = finite_index(body["outcomeIndex"])
    with write_transaction():
        serialize(f"outcomes:{intent.id}")
        # strictly after the latest measurement, so "measured_at desc" is the recording order
        latest = (OutcomeMeasurement.select(fn.MAX(OutcomeMeasurement.measured_at))
                  .where(OutcomeMeasurement.intent == intent.id).scalar())
        row = OutcomeMeasurement.create(
            intent=intent.id,
            workspace=intent.workspace_id,  # derived from the intent row
            outcome_index=outcome_index,
            outcome_text=trim(body["outcomeText"]),
            actual_value=trim(body["actualValue"]),
            baseline_value=body.get("baselineValue") or None,  # falsy → null
            unit=body.get("unit") or None,
            met=body.get("met"),  # absent → null; false stays false
            source=body.get("source") or "manual",
            recorded_by=caller().user_id,
            measured_at=next_timestamp(latest),
        )
    return measurement_view(row), 201

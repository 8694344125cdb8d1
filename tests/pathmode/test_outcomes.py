"""Pathmode outcome measurements: GET/POST /api/v1/intents/{id}/outcomes (cookie session only)."""

from __future__ import annotations

import pytest

from handlers.pathmode.store import OutcomeMeasurement
from spec_server.db import database
from tests.pathmode._part1 import assert_error, random_id
from tests.support import new_intent

KEYS = {"id", "intentId", "outcomeIndex", "outcomeText", "baselineValue", "actualValue", "unit", "met",
        "source", "recordedBy", "measuredAt"}
BASE = {"outcomeIndex": 0, "outcomeText": "Password reset completion rate", "actualValue": "68%"}


def url(intent_id: str) -> str:
    return f"/api/v1/intents/{intent_id}/outcomes"


def measure(client, tenants, intent_id, email="owner@a.example", **fields):
    response = client.post(url(intent_id), json={**BASE, **fields}, cookies=tenants.pm_session(email))
    assert response.status_code == 201, response.text
    return response.json()


def measurements(client, tenants, intent_id, email="owner@a.example"):
    response = client.get(url(intent_id), cookies=tenants.pm_session(email))
    assert response.status_code == 200, response.text
    return response.json()["measurements"]


def stored_count() -> int:
    with database.connection_context():
        return OutcomeMeasurement.select().count()


def test_list_every_measurement(client, tenants):
    """PM-OUTCOMES-LIST-1: "Fetch all outcome measurements recorded for an intent." """
    intent, other = new_intent(client, tenants), new_intent(client, tenants)
    ids = {measure(client, tenants, intent["id"])["id"], measure(client, tenants, intent["id"], outcomeIndex=1)["id"]}
    measure(client, tenants, other["id"])
    assert {m["id"] for m in measurements(client, tenants, intent["id"])} == ids


def test_order_index_asc_then_newest(client, tenants):
    """PM-OUTCOMES-LIST-2: "Default sort: outcome_index ascending, then measured_at descending." """
    intent = new_intent(client, tenants)
    one = measure(client, tenants, intent["id"], outcomeIndex=1)["id"]
    zero_old = measure(client, tenants, intent["id"], outcomeIndex=0)["id"]
    zero_new = measure(client, tenants, intent["id"], outcomeIndex=0)["id"]
    assert [m["id"] for m in measurements(client, tenants, intent["id"])] == [zero_new, zero_old, one]


@pytest.mark.parametrize("method", ["get", "post"])
def test_bearer_key_is_401(client, tenants, method):
    """PM-OUTCOMES-LIST-3 / PM-OUTCOMES-CREATE-14: "cookie-session-only" — a Bearer key alone is 401."""
    intent = new_intent(client, tenants)
    kwargs = {"json": BASE} if method == "post" else {}
    assert_error(getattr(client, method)(url(intent["id"]), headers=tenants.pm_headers(name="admin"), **kwargs), 401)
    assert stored_count() == 0


@pytest.mark.parametrize("cookies", [None, {"sb-access-token": "garbage"}])
def test_no_valid_cookie_is_401_unauthorized(client, tenants, cookies):
    """PM-OUTCOMES-LIST-4: "No valid Supabase session cookie (Unauthorized)" — 401 {error}; the
    message is the server-wide one, not the literal 'Unauthorized' (docs/behaviour.md)."""
    intent = new_intent(client, tenants)
    measure(client, tenants, intent["id"])
    body = assert_error(client.get(url(intent["id"]), cookies=cookies), 401)
    assert set(body) == {"error"}


def test_no_workspace_id_needed(client, tenants):
    """PM-OUTCOMES-LIST-5: "No workspace_id param" """
    intent = new_intent(client, tenants)
    measure(client, tenants, intent["id"])
    assert len(measurements(client, tenants, intent["id"])) == 1


def test_non_member_sees_nothing_and_cannot_record(client, tenants):
    """PM-OUTCOMES-LIST-6: "relies on Supabase RLS for the session user" — a non-member sees an empty
    list and a POST is 404 (docs/behaviour.md)."""
    intent = new_intent(client, tenants)
    measure(client, tenants, intent["id"])
    assert measurements(client, tenants, intent["id"], email="owner@b.example") == []
    assert measurements(client, tenants, intent["id"], email="outsider@c.example") == []
    response = client.post(url(intent["id"]), json=BASE, cookies=tenants.pm_session("owner@b.example"))
    assert_error(response, 404)
    assert stored_count() == 1


def test_nullable_fields_listed_as_null(client, tenants):
    """PM-OUTCOMES-LIST-7: "baselineValue/unit may be null; met may be null." """
    intent = new_intent(client, tenants)
    measure(client, tenants, intent["id"])
    listed = measurements(client, tenants, intent["id"])[0]
    assert (listed["baselineValue"], listed["unit"], listed["met"]) == (None, None, None)


def test_create_shape(client, tenants):
    """PM-OUTCOMES-CREATE-1: "Measurement recorded; returns the created measurement" """
    intent = new_intent(client, tenants)
    body = measure(client, tenants, intent["id"], baselineValue="42%", unit="%", met=True)
    assert set(body) == KEYS and body["intentId"] == intent["id"]
    assert measurements(client, tenants, intent["id"]) == [body]


def test_index_zero_is_valid(client, tenants):
    """PM-OUTCOMES-CREATE-2: "so 0 is valid" """
    intent = new_intent(client, tenants)
    assert measure(client, tenants, intent["id"], outcomeIndex=0)["outcomeIndex"] == 0


@pytest.mark.parametrize("clause,body", [
    ("PM-OUTCOMES-CREATE-3", {"outcomeText": "t", "actualValue": "v"}),
    ("PM-OUTCOMES-CREATE-3", {"outcomeIndex": None, "outcomeText": "t", "actualValue": "v"}),
    ("PM-OUTCOMES-CREATE-4", {"outcomeIndex": 0, "actualValue": "v"}),
    ("PM-OUTCOMES-CREATE-4", {"outcomeIndex": 0, "outcomeText": "", "actualValue": "v"}),
    ("PM-OUTCOMES-CREATE-4", {"outcomeIndex": 0, "outcomeText": 7, "actualValue": "v"}),
    ("PM-OUTCOMES-CREATE-6", {"outcomeIndex": 0, "outcomeText": "t"}),
    ("PM-OUTCOMES-CREATE-6", {"outcomeIndex": 0, "outcomeText": "t", "actualValue": ""}),
])
def test_required_fields(client, tenants, clause, body):
    """PM-OUTCOMES-CREATE-3: "rejected only when undefined/null"; PM-OUTCOMES-CREATE-4 / -6:
    "Required non-empty string" """
    intent = new_intent(client, tenants)
    assert_error(client.post(url(intent["id"]), json=body, cookies=tenants.pm_session()), 400)
    assert stored_count() == 0, clause


@pytest.mark.parametrize("clause,field,given,stored", [
    ("PM-OUTCOMES-CREATE-5", "outcomeText", "  Reset completion rate  ", "Reset completion rate"),
    ("PM-OUTCOMES-CREATE-7", "actualValue", " 68% ", "68%"),
])
def test_trimmed(client, tenants, clause, field, given, stored):
    """PM-OUTCOMES-CREATE-5 / -7: "trimmed before insert." """
    intent = new_intent(client, tenants)
    assert measure(client, tenants, intent["id"], **{field: given})[field] == stored, clause


@pytest.mark.parametrize("clause,field", [("PM-OUTCOMES-CREATE-8", "baselineValue"), ("PM-OUTCOMES-CREATE-9", "unit")])
def test_falsy_stored_null(client, tenants, clause, field):
    """PM-OUTCOMES-CREATE-8 / -9: "Stored null if falsy." """
    intent = new_intent(client, tenants)
    assert measure(client, tenants, intent["id"], **{field: ""})[field] is None, clause
    assert measure(client, tenants, intent["id"])[field] is None
    assert measure(client, tenants, intent["id"], **{field: "x"})[field] == "x"


def test_met_null_when_absent(client, tenants):
    """PM-OUTCOMES-CREATE-10: "Stored null if not provided" """
    intent = new_intent(client, tenants)
    assert measure(client, tenants, intent["id"])["met"] is None


def test_met_false_kept(client, tenants):
    """PM-OUTCOMES-CREATE-11: "(uses ?? null)" — false stays false."""
    intent = new_intent(client, tenants)
    assert measure(client, tenants, intent["id"], met=False)["met"] is False
    assert measurements(client, tenants, intent["id"])[0]["met"] is False


def test_source_defaults_to_manual(client, tenants):
    """PM-OUTCOMES-CREATE-12: "Defaults to 'manual' when falsy." """
    intent = new_intent(client, tenants)
    assert measure(client, tenants, intent["id"])["source"] == "manual"
    assert measure(client, tenants, intent["id"], source="")["source"] == "manual"
    assert measure(client, tenants, intent["id"], source="analytics")["source"] == "analytics"


def test_recorded_by_session_user(client, tenants):
    """PM-OUTCOMES-CREATE-13: "recorded_by is set to the session user id" """
    intent = new_intent(client, tenants)
    body = measure(client, tenants, intent["id"], email="viewer@a.example", recordedBy=random_id())
    assert body["recordedBy"] == tenants.pm_user_id("viewer@a.example")


def test_unknown_intent_404(client, tenants):
    """PM-OUTCOMES-CREATE-15: "Intent not found" """
    assert_error(client.post(url(random_id()), json=BASE, cookies=tenants.pm_session()), 404)

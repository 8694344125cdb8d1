"""Pathmode notes: POST/GET /api/v1/intents/{id}/notes."""

from __future__ import annotations

import pytest

from tests.pathmode._part1 import assert_error, random_id
from tests.support import new_intent

SOURCES = ["mcp", "cli", "github", "manual", "verification_checkpoint", "linear", "jira", "execution_sync"]


def notes_url(intent_id: str) -> str:
    return f"/api/v1/intents/{intent_id}/notes"


def list_notes(client, tenants, intent_id, workspace="ws-a"):
    response = client.get(notes_url(intent_id), headers=tenants.pm_headers(workspace))
    assert response.status_code == 200, response.text
    return response.json()


def test_create_then_listed(client, tenants):
    """PM-NOTES-CREATE-1: "Log an implementation note against an intent." """
    intent = new_intent(client, tenants)
    response = client.post(notes_url(intent["id"]), json={"note": "Shipped behind flag"},
                           headers=tenants.pm_headers())
    assert response.status_code == 201, response.text
    listed = list_notes(client, tenants, intent["id"])
    assert [note["id"] for note in listed["notes"]] == [response.json()["id"]]
    assert listed["notes"][0]["note"] == "Shipped behind flag"


@pytest.mark.parametrize("body", [{"note": "   "}, {}, {"source": "cli"}])
def test_blank_or_missing_note_is_400(client, tenants, body):
    """PM-NOTES-CREATE-2: "Non-empty after trim." """
    intent = new_intent(client, tenants)
    error = assert_error(client.post(notes_url(intent["id"]), json=body, headers=tenants.pm_headers()), 400)
    assert "details" in error
    assert list_notes(client, tenants, intent["id"])["count"] == 0


def test_unknown_source_is_400(client, tenants):
    """PM-NOTES-CREATE-3: "Origin of the note" — only the listed sources."""
    intent = new_intent(client, tenants)
    error = assert_error(client.post(notes_url(intent["id"]), json={"note": "x", "source": "slack"},
                                     headers=tenants.pm_headers()), 400)
    assert "details" in error


@pytest.mark.parametrize("source", SOURCES)
def test_each_listed_source_is_echoed(client, tenants, source):
    """PM-NOTES-CREATE-3: "Origin of the note" — each listed source is accepted and echoed."""
    intent = new_intent(client, tenants)
    response = client.post(notes_url(intent["id"]), json={"note": "x", "source": source}, headers=tenants.pm_headers())
    assert response.status_code == 201, response.text
    assert response.json()["source"] == source


def test_source_defaults_to_manual(client, tenants):
    """PM-NOTES-CREATE-4: "defaults to 'manual' when omitted." """
    intent = new_intent(client, tenants)
    response = client.post(notes_url(intent["id"]), json={"note": "x"}, headers=tenants.pm_headers())
    assert response.status_code == 201
    assert response.json()["source"] == "manual"
    assert list_notes(client, tenants, intent["id"])["notes"][0]["source"] == "manual"


def test_create_response_omits_created_by(client, tenants):
    """PM-NOTES-CREATE-5: "the POST response does NOT echo createdBy (only id, intentId, note,
    source, createdAt)" """
    intent = new_intent(client, tenants)
    response = client.post(notes_url(intent["id"]), json={"note": "  trimmed  "}, headers=tenants.pm_headers())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "intentId", "note", "source", "createdAt"}
    assert body["intentId"] == intent["id"]
    assert body["note"] == "trimmed"


def test_created_by_is_the_authenticated_user(client, tenants):
    """PM-NOTES-CREATE-6: "The created row's created_by is set to the authenticated userId" """
    intent = new_intent(client, tenants)
    client.post(notes_url(intent["id"]), json={"note": "by editor"}, headers=tenants.pm_headers(name="editor"))
    note = list_notes(client, tenants, intent["id"])["notes"][0]
    assert note["createdBy"] == tenants.pm_user_id("editor@a.example")


def test_rate_limited_by_general_bucket(client, tenants, settings):
    """PM-NOTES-CREATE-7: "general 300/h" (lowered to 3 here) — 429 {error}, Retry-After, nothing created."""
    intent = new_intent(client, tenants)
    settings.rate_limits["general"] = (3, 3600)
    for _ in range(3):
        assert client.post(notes_url(intent["id"]), json={"note": "x"}, headers=tenants.pm_headers()).status_code == 201
    response = client.post(notes_url(intent["id"]), json={"note": "over"}, headers=tenants.pm_headers())
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert list_notes(client, tenants, intent["id"])["count"] == 3


def test_post_on_foreign_or_unknown_intent_is_404(client, tenants):
    """PM-NOTES-CREATE-8: "Intent not found within this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (foreign["id"], random_id()):
        assert_error(client.post(notes_url(intent_id), json={"note": "x"}, headers=tenants.pm_headers()), 404)
    assert list_notes(client, tenants, foreign["id"], workspace="ws-b")["count"] == 0


def test_list_only_this_intents_notes(client, tenants):
    """PM-NOTES-LIST-1: "List implementation notes for an intent" """
    first, second = new_intent(client, tenants), new_intent(client, tenants)
    client.post(notes_url(first["id"]), json={"note": "one"}, headers=tenants.pm_headers())
    client.post(notes_url(second["id"]), json={"note": "two"}, headers=tenants.pm_headers())
    notes = list_notes(client, tenants, first["id"])["notes"]
    assert [note["note"] for note in notes] == ["one"]
    assert all(note["intentId"] == first["id"] for note in notes)


def test_list_shape_and_count(client, tenants):
    """PM-NOTES-LIST-2: "OK — returns { notes, count }" """
    intent = new_intent(client, tenants)
    for text in ("a", "b"):
        client.post(notes_url(intent["id"]), json={"note": text}, headers=tenants.pm_headers())
    body = list_notes(client, tenants, intent["id"])
    assert set(body) == {"notes", "count"}
    assert body["count"] == len(body["notes"]) == 2


def test_newest_first(client, tenants):
    """PM-NOTES-LIST-3: "Default order: created_at descending (newest first)." """
    intent = new_intent(client, tenants)
    for text in ("N1", "N2", "N3"):
        client.post(notes_url(intent["id"]), json={"note": text}, headers=tenants.pm_headers())
    notes = list_notes(client, tenants, intent["id"])["notes"]
    assert [note["note"] for note in notes] == ["N3", "N2", "N1"]
    stamps = [note["createdAt"] for note in notes]
    assert stamps == sorted(stamps, reverse=True)


def test_list_items_include_created_by(client, tenants):
    """PM-NOTES-LIST-4: "Each note includes createdBy" """
    intent = new_intent(client, tenants)
    client.post(notes_url(intent["id"]), json={"note": "x", "source": "cli"}, headers=tenants.pm_headers())
    for note in list_notes(client, tenants, intent["id"])["notes"]:
        assert set(note) == {"id", "intentId", "note", "source", "createdBy", "createdAt"}


def test_list_on_foreign_or_unknown_intent_is_404(client, tenants):
    """PM-NOTES-LIST-5: "Intent not found within this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    client.post(notes_url(foreign["id"]), json={"note": "secret"}, headers=tenants.pm_headers("ws-b"))
    for intent_id in (foreign["id"], random_id()):
        response = client.get(notes_url(intent_id), headers=tenants.pm_headers())
        assert_error(response, 404)
        assert "secret" not in response.text

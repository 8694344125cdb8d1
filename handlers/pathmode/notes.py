"""Pathmode — notes: implementation notes logged against an intent."""

from __future__ import annotations

from typing import Any

from peewee import fn

from generated.pathmode import models
from handlers.pathmode._common import caller, intent_in_workspace, next_timestamp
from handlers.pathmode.store import Note
from spec_server import clock
from spec_server.db import serialize, write_transaction
from spec_server.text import trim


def note_view(note: Note, *, with_author: bool) -> dict:
    view: dict[str, Any] = {"id": note.id, "intentId": note.intent_id, "note": note.note, "source": note.source}
    if with_author:  # the list shows createdBy, the create response does not
        view["createdBy"] = note.created_by
    view["createdAt"] = clock.iso(note.created_at)
    return view


def get_intents_id_notes(id_, workspace_id=None) -> tuple[models.GetIntentsIdNotesResponse200, int]:
    intent = intent_in_workspace(id_)
    notes = (Note.select().where(Note.intent == intent.id)
             .order_by(Note.created_at.desc(), Note.id.desc()))
    shown = [note_view(note, with_author=True) for note in notes]
    return {"notes": shown, "count": len(shown)}, 200


def post_intents_id_notes(id_, body, workspace_id=None) -> tuple[models.PostIntentsIdNotesResponse201, int]:
    intent = intent_in_workspace(id_)
    with write_transaction():
        serialize(f"notes:{intent.id}")
        # strictly after the newest note, so "newest first" is the order they were written
        latest = Note.select(fn.MAX(Note.created_at)).where(Note.intent == intent.id).scalar()
        note = Note.create(intent=intent.id, note=trim(body["note"]), source=body.get("source") or "manual",
                           created_by=caller().user_id, created_at=next_timestamp(latest))
    return note_view(note, with_author=False), 201

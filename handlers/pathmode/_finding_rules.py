"""How findings move from open to reconciled or dismissed (see docs/behaviour.md)."""

from __future__ import annotations


def after_intent_patch(before, after, body: dict) -> None:
    """Called inside the PATCH /intents/{id} transaction."""

"""Grading an implementation against its intent (POST /intents/{id}/verify)."""

from __future__ import annotations

from spec_server.errors import NotImplementedYet


def verify_intent(intent, body):
    raise NotImplementedYet()

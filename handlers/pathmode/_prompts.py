"""Agent prompts for an intent (GET /intents/{id}/prompt)."""

from __future__ import annotations

from spec_server.errors import NotImplementedYet


def prompt_response(intent, *, agent_type, mode, output_format):
    raise NotImplementedYet()

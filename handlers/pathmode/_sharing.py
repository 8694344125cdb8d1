"""Share tokens for public review links (POST/DELETE /intents/{id}/share)."""

from __future__ import annotations

from spec_server.errors import NotImplementedYet


def share(intent):
    raise NotImplementedYet()


def revoke(intent):
    raise NotImplementedYet()

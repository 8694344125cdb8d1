"""Share tokens for public review links (POST/DELETE /intents/{id}/share)."""

from __future__ import annotations

import uuid

from handlers.pathmode.store import Intent
from spec_server.db import serialize, write_transaction


def share(intent: Intent):
    """Idempotent: the existing token, else a fresh v4 UUID; 200 either way."""
    with write_transaction():
        serialize(f"share:{intent.id}")  # two concurrent first shares agree on one token
        token = Intent.get_by_id(intent.id).share_token
        if token is None:
            token = str(uuid.uuid4())
            Intent.update(share_token=token).where(Intent.id == intent.id).execute()
    return {"token": token}, 200


def revoke(intent: Intent):
    """Unconditional once the intent is found: every review link built on the token dies."""
    Intent.update(share_token=None).where(Intent.id == intent.id).execute()
    return {"success": True}, 200

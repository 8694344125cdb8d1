"""Secrets: minted once, stored only as SHA-256 digests, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mint(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_hex(nbytes)


def matches(stored_digest: str | None, secret: str) -> bool:
    return stored_digest is not None and hmac.compare_digest(stored_digest, digest(secret))

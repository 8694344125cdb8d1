"""What the generator found wrong with a document, gathered instead of raised."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    level: str  # "warning" or "error"
    message: str

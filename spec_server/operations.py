"""The row type of the generated operation tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # public path, as clients call it
    tag: str
    handler: str  # dotted path of the hand-written function
    security: tuple[tuple[str, ...], ...]  # alternatives, each a set of scheme names
    success_status: int
    statuses: tuple[int, ...]
    scope: str | None = None  # Pathmode x-scope
    auth: str | None = None  # Pathmode x-auth
    rate_limit: str | None = None  # Pathmode x-rateLimit

    @property
    def schemes(self) -> frozenset[str]:
        return frozenset(name for alternative in self.security for name in alternative)

"""Routes outside both API documents (public review pages, provider callbacks)."""

from __future__ import annotations

from collections.abc import Callable

_installers: list[Callable] = []


def register(installer):
    """Add a function ``installer(app)`` that adds routes; used by handler packages."""
    _installers.append(installer)
    return installer


def install(app) -> None:
    for installer in _installers:
        installer(app)

"""The row types of the generated operation tables."""

from __future__ import annotations

import functools
from dataclasses import dataclass

# one alternative of an operation's security: every (scheme, scopes) of it must hold
Requirement = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class RateLimit:
    """An operation's ``x-rateLimit``: ``"general 300/h"``, ``"analyzeCodebase 30/24h (per workspace)"``."""

    bucket: str
    requests: int
    window_seconds: int
    per: str | None = None  # what the window is counted per when the document says ("workspace")

    @property
    def limit(self) -> tuple[int, int]:
        return (self.requests, self.window_seconds)


@dataclass(frozen=True)
class Parameter:
    """A path or query parameter: what connexion passes to the handler."""

    name: str  # as the document spells it
    location: str  # path or query
    required: bool
    has_default: bool  # the document gives a default, so connexion always passes a value
    choices: tuple[str, ...] = ()  # the strings its schema lists (an enum), if it lists them

    @property
    def argument(self) -> str:
        """The handler's keyword for it (connexion's ``pythonic_params``)."""
        from connexion.decorators.parameter import pythonic

        return pythonic(self.name)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # public path, as clients call it
    tag: str
    handler: str  # dotted path of the hand-written function
    security: tuple[Requirement, ...]  # alternatives; () means public
    success_status: int
    statuses: tuple[int, ...]
    scope: str | None = None  # x-scope
    auth: str | None = None  # x-auth
    rate_limit: RateLimit | None = None  # x-rateLimit (None also for "none")
    parameters: tuple[Parameter, ...] = ()  # path and query, in the document's order
    has_body: bool = False  # connexion passes ``body``
    # the JSON body's properties that the document limits to a list of strings (an enum), with
    # that list: hand-written tables keyed by those values (backlex's plans, packs, metrics)
    # are checked against it (``choices``), so a value the document adds stops ``--check``
    body_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the plan quotas (``plan_limit_reached`` metrics) the operation's descriptions name
    quota_metrics: tuple[str, ...] = ()

    def choices(self, name: str) -> tuple[str, ...] | None:
        """The values the document lists for the body's property ``name``, or else for the
        parameter ``name``; None if it lists none."""
        found = dict(self.body_choices).get(name)
        if found is None:
            found = next((p.choices for p in self.parameters if p.name == name and p.choices), None)
        return found

    @property
    def anonymous_allowed(self) -> bool:
        """The document lets a request without credentials in (no security, or an empty
        alternative): no security hook runs, so the handler meets no caller."""
        return not self.security or any(not alternative for alternative in self.security)

    @functools.cached_property  # read by every request's security step
    def schemes(self) -> frozenset[str]:
        return frozenset(name for alternative in self.security for name, _scopes in alternative)

"""Local engines for the hosted services Pathmode calls (Gemini grading, sandboxed codebase
analysis), each behind a small interface and chosen by configuration:

    PATHMODE_GRADING_ENGINE   grading: ``grade(request) -> {"results": [...], "summary": str}``
    PATHMODE_ANALYSIS_ENGINE  analysis: ``analyze(request) -> iterator of progress events``

Each variable is ``local`` (the default), ``off`` (the service is not configured: 503), or
``package.module:factory``, a callable returning an engine, which is how a hosted engine plugs in.
An engine raises ``EngineError`` when it cannot do its work; handlers answer 503.
"""

from __future__ import annotations

import importlib
import os

LOCAL = {
    "PATHMODE_GRADING_ENGINE": "handlers.pathmode.engines.grading:LocalGradingEngine",
    "PATHMODE_ANALYSIS_ENGINE": "handlers.pathmode.engines.analysis:LocalAnalysisEngine",
}


class EngineError(Exception):
    """The engine could not do its work (a hosted one: timeout, 429, 5xx)."""


class EngineNotConfigured(EngineError):
    """No engine is configured for this service."""


def _load(variable: str):
    choice = os.environ.get(variable, "local").strip() or "local"
    if choice == "off":
        raise EngineNotConfigured(f"{variable} is off")
    target = LOCAL[variable] if choice == "local" else choice
    module_name, _, factory = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), factory)()
    except (ImportError, AttributeError) as error:
        raise EngineNotConfigured(f"{variable}={choice} cannot be loaded: {error}") from error


def grading_engine():
    return _load("PATHMODE_GRADING_ENGINE")


def analysis_engine():
    return _load("PATHMODE_ANALYSIS_ENGINE")

"""Shared hypothesis strategies: schema-valid requests for the suite's own checks.

The isolation and role checks need a body the document accepts, so that the answer they
observe is the server's authorization decision, not request validation.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, find, settings
from schemathesis import GenerationMode

FIND_SETTINGS = settings(database=None, max_examples=50, phases=[Phase.generate], derandomize=True,
                         suppress_health_check=list(HealthCheck), deadline=None)


def find_settings() -> settings:
    """The registered hypothesis profile (conformance/conftest.py) or, outside pytest, the default."""
    try:
        return settings.get_profile(f"conformance-{os.environ.get('CONFORMANCE_PROFILE', 'full')}")
    except Exception:  # InvalidArgument: not registered (the CLI run)
        return FIND_SETTINGS


def valid_case(operation, **fixed):
    """One positive (schema-valid) case of ``operation`` with ``fixed`` path parameters/query."""
    strategy = operation.as_strategy(GenerationMode.POSITIVE, **fixed)
    return find(strategy, lambda _case: True, settings=find_settings())


def valid_body(operation, **fixed):
    case = valid_case(operation, **fixed)
    return None if _is_unset(case.body) else case.body


def _is_unset(value) -> bool:
    return type(value).__name__ == "NotSet"

"""The conformance suite under pytest: hypothesis profiles and the in-process target.

``CONFORMANCE_PROFILE=quick`` (local, ≤ 2 minutes) or ``full`` (CI, the default); both use
a fixed seed so a run is reproducible. ``CONFORMANCE_ALLOW_501=1`` lists operations still
answering 501 instead of failing on them (interim only).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance import inprocess, report
from conformance.runner import Profile


def pytest_configure(config):
    # registered, not loaded: the suite's own strategies use them (conformance.strategies),
    # and hypothesis tests elsewhere in the same session keep their defaults
    common = {"database": None, "deadline": None, "derandomize": True,
              "suppress_health_check": list(HealthCheck), "phases": [Phase.generate]}
    settings.register_profile("conformance-full", max_examples=50, **common)
    settings.register_profile("conformance-quick", max_examples=20, **common)


@pytest.fixture
def profile() -> Profile:
    return Profile.from_env()


@pytest.fixture
def build_target(tmp_path):
    """``build_target(faults=...)`` → an in-process target on a fresh seeded database."""
    counter = iter(range(1000))

    def build(faults: frozenset[str] = frozenset()):
        url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/conformance-{next(counter)}.sqlite3"
        _app, target = inprocess.build(url, faults)
        return target

    yield build
    from spec_server import config

    config.settings().faults = frozenset()


def describe(results) -> str:
    lines = []
    for result in results:
        lines += report.summary_lines(result) + report.failure_lines(result)
    return "\n".join(lines)

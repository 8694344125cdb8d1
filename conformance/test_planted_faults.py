"""Each planted fault (spec_server/faults.py) makes the suite fail, with the check that
should catch it; the suite run against the same seed without the fault is the baseline."""

from __future__ import annotations

import pytest

from conformance import plugin, suite
from conformance.runner import Profile
from spec_server import faults

# fault -> (operation label, checks any of which must newly fail)
EXPECTED = {
    "wrong-status": ("GET /workspace", {"status_code_conformance"}),
    "missing-field": ("GET /workspace", {"example_shape", "response_schema_conformance"}),
    "edge-500": (None, {"not_a_server_error"}),
    "cross-tenant": (None, {"tenant_isolation"}),
    "accept-invalid": (None, {"negative_data_rejection", "not_a_server_error"}),
    "revoked-key": ("GET /workspace", {"key_revocation"}),
    "no-body-limit": (None, {"body_limit"}),
}

# checks that run before schemathesis's phases: a fault they must catch needs no phases after
# them (suite.run's stop_early); a fault the phases must catch may trip one of these first
# with another check, so it runs them all
CHECKS_BEFORE_PHASES = {"tenant_isolation", "key_revocation", "body_limit"}
# a short run is enough to show each fault; Pathmode hosts every hook
FAULT_PROFILE = dict(max_examples=5, phases=("examples", "coverage", "fuzzing"))


def failure_keys(target, stop_early: bool = False) -> set[tuple[str, str]]:
    profile = Profile.from_env(**FAULT_PROFILE)
    # one pass (API key) is enough to show each fault and keeps the quick profile under 2 minutes;
    # the behaviour checks are left out for the same reason (each fault names the check that
    # catches it, none of them a behaviour check; their strength is the mutation run's to show)
    results = suite.run(target, [plugin.load("pathmode")], profile, first_scheme_only=True, behaviour=False,
                        stop_early=stop_early)
    return {(failure.operation, failure.check) for result in results for failure in result.failures}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    from conformance import inprocess

    _app, target = inprocess.build(f"sqlite:///{tmp_path_factory.mktemp('baseline')}/base.sqlite3")
    return failure_keys(target)


def test_every_fault_is_listed():
    assert set(EXPECTED) == set(faults.ALL)


@pytest.mark.parametrize("fault", faults.ALL)
def test_planted_fault_makes_the_suite_fail(fault, baseline, build_target):
    operation, checks = EXPECTED[fault]
    new = failure_keys(build_target(frozenset({fault})), stop_early=checks <= CHECKS_BEFORE_PHASES) - baseline
    caught = {(op, check) for op, check in new if check in checks and operation in (None, op)}
    assert caught, f"{fault} not caught; new failures: {sorted(new)}"

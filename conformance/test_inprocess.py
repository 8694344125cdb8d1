"""The suite over every served API against the in-process app (connexion AsyncApp)."""

from __future__ import annotations

import pytest

from conformance import plugin, report, suite
from conformance.conftest import describe
from tests.support import documented_operations


@pytest.mark.parametrize("api", [p.name for p in plugin.served()])
def test_every_operation_conforms(api, build_target, profile, capsys):
    target = build_target()
    results = suite.run(target, [plugin.load(api)], profile)
    text = describe(results)
    with capsys.disabled():
        print("\n" + text)
    result = results[0]
    assert len(result.documented) == len(documented_operations(api))
    assert result.ok, "\n".join(report.failure_lines(result))

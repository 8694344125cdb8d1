"""The suite over both documents against the in-process app (connexion AsyncApp)."""

from __future__ import annotations

import pytest

from conformance import inprocess, report, suite
from conformance.conftest import describe


@pytest.mark.parametrize("api", suite.APIS)
def test_every_operation_conforms(api, build_target, profile, capsys):
    target = build_target()
    results = suite.run(target, (api,), profile, seat=inprocess.seat_member)
    text = describe(results)
    with capsys.disabled():
        print("\n" + text)
    result = results[0]
    assert len(result.documented) == {"backlex": 68, "pathmode": 25}[api]
    assert result.ok, "\n".join(report.failure_lines(result))

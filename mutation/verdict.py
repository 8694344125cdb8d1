"""The conformance suite's verdict on the code it is run from: quick profile, in-process.

``python -m mutation.verdict API [--checks-only]`` builds the in-process target (a fresh
SQLite database seeded for the suite) and runs the suite for one API, as
``conformance/test_inprocess.py`` does, but stops at the first stage that fails: the API's
own and behaviour checks first, then schemathesis's phases. The verdict is the same (a run
fails when any stage fails); a killed mutant is known sooner. Exit 1 on any failure, printing
each with its curl line; ``--checks-only`` leaves the phases out (to develop checks).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("CONFORMANCE_PROFILE", "quick")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation.verdict")
    parser.add_argument("api")
    parser.add_argument("--checks-only", action="store_true", help="the API's own and behaviour checks only")
    args = parser.parse_args(argv)

    from conformance import inprocess, plugin, report, suite
    from conformance.runner import Profile

    started = time.monotonic()
    folder = tempfile.mkdtemp(prefix="verdict-")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{folder}/verdict.sqlite3"
    _app, target = inprocess.build(url)
    profile = Profile.from_env()
    api = plugin.load(args.api)
    result = suite.run(target, [api], profile, phases=not args.checks_only, stop_early=True)[0]
    for line in report.failure_lines(result):
        print(line)
    for reason in result.skipped:
        print(f"skipped: {reason}")
    verdict = "ok" if result.ok else "failed"
    print(f"verdict: {verdict} ({len(result.failures)} failures, {time.monotonic() - started:.1f} s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

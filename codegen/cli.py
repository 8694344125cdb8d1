"""``spec-server codegen [--check | --report] [--scaffold]``.

- ``codegen``: rewrite ``generated/`` from ``specs/``, print the change report (what changed
  in the documents since ``generated/`` was last committed, each change classified, with the
  handler to look at) and the code findings (what the hand-written code must change).
- ``--report``: the same report, writing nothing; it reads the same until ``generated/`` is
  committed.
- ``--check``: write nothing; exit 1 naming every stale file of ``generated/`` and every code
  finding (``codegen.check``). CI runs it.
- ``--scaffold``: after writing, a 501 stub for every operation without a handler.

Exit status: 0, 1 for a failed check, 2 when a document cannot be generated (problems).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen import check as code_check
from codegen import render, typecheck
from codegen import scaffold as scaffolding


def run(check: bool = False, root: Path = render.ROOT, out=sys.stdout, *, report_only: bool = False,
        scaffold: bool = False) -> int:
    specs = render.parse_all(root)
    failed = False
    for api, problem in render.problems(specs):
        print(f"{problem.level}: {api}: {problem.message}", file=out)
        failed |= problem.level == "error"
    if failed:  # before rendering: a refused document is never handed to datamodel-codegen
        return 2
    files = render.render_files(specs, root)
    report = render.report_lines(specs, root)
    if report_only:
        _print_section("changes since generated/ was committed", report or ["none"], out)
        return 0
    if typecheck.skipped():
        print(f"note: {typecheck.skipped()}", file=out)
    if check:
        stale = render.stale_files(files, root)
        findings = code_check.code_findings(specs, root)
        for line in stale:
            print(line, file=out)
        if stale:
            print("generated/ is stale: run `spec-server codegen`", file=out)
        for line in findings:
            print(line, file=out)
        if stale or findings:
            return 1
        print("generated/ is current and every handler fits", file=out)
        return 0
    render.write(files, root)
    _print_section("changes since generated/ was committed", report or ["none"], out)
    if scaffold:
        written = [line for spec in specs for line in scaffolding.scaffold(spec, root)]
        _print_section("scaffolded", written or ["nothing: every operation has a handler"], out)
    findings = code_check.code_findings(specs, root)
    _print_section("code to change (`spec-server codegen --check` fails until none is left)", findings or ["none"], out)
    print(f"wrote {len(files)} files to generated/ ({sum(len(s.operations) for s in specs)} operations)", file=out)
    return 0


def _print_section(title: str, lines: list[str], out) -> None:
    print(f"{title}:", file=out)
    for line in lines:
        print(f"  {line}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec-server codegen")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--scaffold", action="store_true")
    args = parser.parse_args(argv)
    return run(args.check, report_only=args.report, scaffold=args.scaffold)

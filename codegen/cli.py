"""``spec-server codegen [--check]``: regenerate ``generated/`` or prove it current."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen import render


def run(check: bool, root: Path = render.ROOT, out=sys.stdout) -> int:
    files, specs = render.render_all(root)
    failed = False
    for api, problem in render.problems(specs):
        print(f"{problem.level}: {api}: {problem.message}", file=out)
        failed |= problem.level == "error"
    if failed:
        return 2
    if check:
        stale = render.stale_files(files, root)
        for line in stale:
            print(line, file=out)
        if stale:
            print("generated/ is stale: run `spec-server codegen`", file=out)
            return 1
        print("generated/ is current", file=out)
        return 0
    changes = [change for spec in specs for change in render.change_report(spec, root)]
    render.write(files, root)
    for change in changes:
        print(change, file=out)
    print(f"wrote {len(files)} files to generated/ ({sum(len(s.operations) for s in specs)} operations)", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec-server codegen")
    parser.add_argument("--check", action="store_true", help="exit 1 and name every stale file")
    args = parser.parse_args(argv)
    return run(args.check)

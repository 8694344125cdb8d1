"""The mutation run: how many realistic handler bugs each suite catches, measured.

    python -m mutation.run [--only NAME[,NAME...]] [--api pathmode|backlex]
                           [--suite conformance|tests|both] [--tests all] [--json FILE]
    python -m mutation.run --report FILE     # the report of an earlier run's --json

Each mutant of ``mutation.mutants`` is applied, one at a time, to a throwaway copy of the
project (``mutation.project_copy``), and each suite runs on the copy:

* **conformance**: the suite's quick profile, in-process, for the mutant's API
  (``python -m mutation.verdict API``: the API's own and behaviour checks, then
  schemathesis's phases, stopping at the first stage that fails);
* **tests**: the behaviour tests of the mutant's API (``pytest -x tests/<api>``; ``--tests
  all`` runs the whole ``tests/`` folder).

A suite kills a mutant when it fails (or outlives its timeout). The report gives, per suite,
the share of mutants killed and names every survivor; ``--json`` writes each outcome.

Why curated patches and not mutmut (3.8.1). mutmut mutates every operator, constant and
string of the code it is given: over ``handlers/`` (72 modules, 6,839 lines, the conformance
plugins left out) it generates 11,407 mutants (measured with its own ``mutate_file_contents``,
25 s), most of them log and error texts or rewrites no client can tell apart, and it runs
the tests it has chosen once per mutant. Our suites are two big tests per API (the
conformance run, about 30 s in-process on this 2-core machine; the API's behaviour tests,
about 55 s): 11,407 × (30 + 55) s is about eleven days, conformance alone four, and its score
would mostly measure which strings are asserted. The curated list is the issue's kinds of
realistic bug, each an edit a reviewer could miss, and runs against both suites in about
half an hour (README "Mutation run").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mutation.mutants import MUTANTS, Mutant
from mutation.project_copy import REPO, Outcome, ProjectCopy, StaleMutant

SUITES = ("conformance", "tests")
CONFORMANCE_TIMEOUT = 600
TESTS_TIMEOUT = 900
FAIL_LINE = re.compile(r"^FAIL \[\w+\] (?P<operation>.+?) — (?P<check>[\w:]+): (?P<title>.*)$")


@dataclass
class Verdict:
    mutant: str
    api: str
    kind: str
    description: str
    killed: dict[str, bool] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    by: dict[str, list[str]] = field(default_factory=dict)  # what failed first, per suite


def commands(mutant: Mutant, suite: str, tests_scope: str, root: Path = REPO) -> tuple[list[str], float]:
    if suite == "conformance":
        return ["-m", "mutation.verdict", mutant.api], CONFORMANCE_TIMEOUT
    where = root / "tests" if tests_scope == "all" else root / "tests" / mutant.api
    return ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *test_modules(mutant, where, root)], TESTS_TIMEOUT


def test_modules(mutant: Mutant, where: Path, root: Path) -> list[str]:
    """Every test module under ``where``, those whose name shares a word with the mutant's
    name or file first: the verdict is the same (all of them run unless one fails, ``-x``),
    a kill is known sooner."""
    words = set(re.split(r"[-_]", mutant.name)) | set(re.split(r"[_.]", Path(mutant.file).stem))
    words -= {"pm", "bx", "", "py", "of", "the", "a"}
    modules = sorted(where.rglob("test_*.py"))

    def shared(module: Path) -> int:
        return -len(words & set(module.stem.removeprefix("test_").split("_")))

    return [str(module.relative_to(root)) for module in sorted(modules, key=lambda m: (shared(m), str(m)))]


def what_failed(suite: str, outcome: Outcome) -> list[str]:
    if outcome.timed_out:
        return ["timed out"]
    if suite == "conformance":
        found = []
        for line in outcome.output.splitlines():
            match = FAIL_LINE.match(line)
            if match:
                check = match["check"]
                name = match["title"].split(" ", 1)[0] if check.startswith("behaviour") else ""
                found.append(f"{check} {name}".strip() + f" [{match['operation']}]")
        return sorted(set(found)) or [line for line in outcome.output.splitlines()[-3:]]
    failed = [line.split(" ")[1] for line in outcome.output.splitlines() if line.startswith("FAILED ")]
    return failed[:2] or outcome.output.splitlines()[-2:]


def run(mutants: list[Mutant], suites: tuple[str, ...], tests_scope: str, progress=print) -> list[Verdict]:
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as folder:
        copy = ProjectCopy.make(Path(folder))
        for number, mutant in enumerate(mutants, start=1):
            verdict = Verdict(mutant.name, mutant.api, mutant.kind, mutant.description)
            try:
                restore = copy.apply(mutant.file, mutant.old, mutant.new)
            except StaleMutant as stale:
                progress(f"[{number}/{len(mutants)}] {mutant.name}: STALE ({stale}): not run, not counted")
                continue
            try:
                for suite in suites:
                    args, timeout = commands(mutant, suite, tests_scope, copy.root)
                    outcome = copy.run(*args, timeout=timeout)
                    verdict.killed[suite] = outcome.killed
                    verdict.seconds[suite] = round(outcome.seconds, 1)
                    verdict.by[suite] = what_failed(suite, outcome) if outcome.killed else []
            finally:
                restore()
            verdicts.append(verdict)
            progress(f"[{number}/{len(mutants)}] {mutant.name}: " + ", ".join(
                f"{suite} {'killed' if verdict.killed[suite] else 'SURVIVED'} ({verdict.seconds[suite]} s)"
                for suite in suites))
    return verdicts


def report(verdicts: list[Verdict], suites: tuple[str, ...]) -> list[str]:
    lines = []
    total = len(verdicts)
    for suite in suites:
        killed = [v for v in verdicts if v.killed.get(suite)]
        lines.append(f"{suite}: killed {len(killed)}/{total} ({100 * len(killed) / total:.0f}%)")
    if len(suites) > 1:
        either = [v for v in verdicts if any(v.killed.values())]
        lines.append(f"together: killed {len(either)}/{total} ({100 * len(either) / total:.0f}%)")
    for suite in suites:
        for verdict in verdicts:
            if not verdict.killed.get(suite):
                lines.append(f"  {suite} survivor: {verdict.mutant} ({verdict.kind}): {verdict.description}")
    lines.append("killed by:")
    for verdict in verdicts:
        for suite in suites:
            if verdict.by.get(suite):
                lines.append(f"  {verdict.mutant} / {suite}: {'; '.join(verdict.by[suite][:4])[:300]}")
    lines += checks_shown_failing(verdicts)
    return lines


def checks_shown_failing(verdicts: list[Verdict]) -> list[str]:
    """Each behaviour check, with the mutants it failed on; a check no mutant made fail is named
    (a check that cannot fail is a defect)."""
    from conformance import plugin

    failed_on: dict[str, list[str]] = {}
    for verdict in verdicts:
        for entry in verdict.by.get("conformance", []):
            if entry.startswith("behaviour:"):
                failed_on.setdefault(entry.split(" ")[1], []).append(verdict.mutant)
    lines = ["behaviour checks and the mutants they failed on:"]
    for api in plugin.served():
        for check in api.behaviour_checks():
            name = check.__name__.removeprefix("check_")
            mutants = sorted(set(failed_on.get(name, [])))
            lines.append(f"  {api.name}.{name}: {', '.join(mutants) if mutants else 'NO MUTANT MADE IT FAIL'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated mutant names")
    parser.add_argument("--api", choices=("pathmode", "backlex"))
    parser.add_argument("--suite", choices=("conformance", "tests", "both"), default="both")
    parser.add_argument("--tests", choices=("api", "all"), default="api",
                        help="behaviour tests of the mutant's API (default) or the whole tests/ folder")
    parser.add_argument("--json", help="write every verdict to this file")
    parser.add_argument("--report", metavar="JSON", help="print the report of an earlier run's --json file")
    args = parser.parse_args(argv)
    if args.report:
        verdicts = [Verdict(**entry) for entry in json.loads(Path(args.report).read_text())]
        ran = tuple(suite for suite in SUITES if any(suite in v.killed for v in verdicts))
        print("\n".join(report(verdicts, ran)))
        return 0
    chosen = [m for m in MUTANTS if (not args.api or m.api == args.api)
              and (not args.only or m.name in args.only.split(","))]
    if args.only and len(chosen) != len(set(args.only.split(","))):
        known = {m.name for m in MUTANTS}
        print(f"unknown mutants: {sorted(set(args.only.split(',')) - known)}", file=sys.stderr)
        return 2
    suites = SUITES if args.suite == "both" else (args.suite,)
    started = time.monotonic()
    verdicts = run(chosen, suites, args.tests)
    for line in report(verdicts, suites):
        print(line)
    print(f"{len(chosen)} mutants in {(time.monotonic() - started) / 60:.1f} min (from {REPO})")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(v) for v in verdicts], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

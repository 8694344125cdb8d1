"""``spec-server conformance``: run the conformance suite against a running deployment.

    spec-server conformance --print-seed > seed.json     # the suite's tenants, roles and keys
    spec-server seed seed.json --database URL > creds.json   # on the deployment's store
    spec-server conformance --api all --base-url http://127.0.0.1:8000 \\
        --credentials creds.json [--junit report.xml] [--seed N] [--max-examples N]

The credentials file is ``spec-server seed``'s output; each API's plugin reads its tenants and
roles from the labels it carries (README "Conformance suite") and a missing one is one line
saying what to seed (exit 2). Exit status 0 when every check passed, 1 otherwise (a 501
fails unless ``CONFORMANCE_ALLOW_501=1``).
"""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    from spec_server import apis

    parser = subparsers.add_parser("conformance", help="run the conformance suite against a deployment")
    parser.add_argument("--api", choices=["all", *apis.served_names()], default="all")
    parser.add_argument("--base-url", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--credentials", help="output of `spec-server seed` for the suite's seed file")
    parser.add_argument("--print-seed", action="store_true",
                        help="print the suite's seed file (every API's tenants, roles and keys) and exit")
    parser.add_argument("--junit", help="write JUnit XML here")
    parser.add_argument("--seed", type=int, help="hypothesis seed (default: fixed)")
    parser.add_argument("--max-examples", type=int, help="examples per operation and phase")
    parser.add_argument("--phases", help="comma-separated subset of examples,coverage,fuzzing,stateful")
    parser.set_defaults(func=run)


def run(args) -> int:
    from conformance import plugin, report, suite
    from conformance.plugin import CredentialsMissing
    from conformance.runner import Profile
    from conformance.target import Target

    plugins = plugin.served(args.api)
    if args.print_seed:
        json.dump({p.name: p.seed for p in plugins}, sys.stdout, indent=2)
        print()
        return 0
    if not args.base_url or not args.credentials:
        print("spec-server conformance: --base-url and --credentials are required (or --print-seed)",
              file=sys.stderr)
        return 2
    try:
        with open(args.credentials) as handle:
            credentials = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"spec-server conformance: cannot read {args.credentials}: {error}", file=sys.stderr)
        return 2
    phases = tuple(args.phases.split(",")) if args.phases else None
    profile = Profile.from_env(seed=args.seed, max_examples=args.max_examples, phases=phases)
    target = Target(credentials=credentials, base_url=args.base_url.rstrip("/"))

    def progress(line: str) -> None:
        print(line, flush=True)

    try:
        results = suite.run(target, plugins, profile, progress)
    except CredentialsMissing as missing:
        print("spec-server conformance: the credentials file lacks what the suite needs:", file=sys.stderr)
        for line in missing.lines:
            print(f"  {line}", file=sys.stderr)
        return 2
    for result in results:
        print("\n".join(report.summary_lines(result)))
    failed = False
    for result in results:
        lines = report.failure_lines(result)
        if lines:
            failed = True
            print("\n".join(lines))
    if args.junit:
        report.write_junit(results, args.junit)
        print(f"JUnit XML written to {args.junit}")
    total = sum(len(r.failures) + len(r.errors) for r in results)
    print(f"conformance: {'FAILED' if failed else 'passed'} ({total} failures) "
          f"seed={profile.seed} max-examples={profile.max_examples} phases={','.join(profile.phases)}")
    sys.stdout.flush()
    return 1 if failed else 0

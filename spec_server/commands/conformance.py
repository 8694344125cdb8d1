"""``spec-server conformance``: run the conformance suite against a running deployment.

    spec-server conformance --api all --base-url http://127.0.0.1:8000 \\
        --credentials creds.json [--junit report.xml] [--seed N] [--max-examples N]

The credentials file is ``spec-server seed conformance/seed.json``'s output. Exit status 0
when every check passed, 1 otherwise (a 501 fails unless ``CONFORMANCE_ALLOW_501=1``).
"""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("conformance", help="run the conformance suite against a deployment")
    from spec_server import apis

    parser.add_argument("--api", choices=["all", *apis.served_names()], default="all")
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--credentials", required=True, help="output of `spec-server seed conformance/seed.json`")
    parser.add_argument("--junit", help="write JUnit XML here")
    parser.add_argument("--seed", type=int, help="hypothesis seed (default: fixed)")
    parser.add_argument("--max-examples", type=int, help="examples per operation and phase")
    parser.add_argument("--phases", help="comma-separated subset of examples,coverage,fuzzing,stateful")
    parser.set_defaults(func=run)


def run(args) -> int:
    from conformance import report, suite
    from conformance.runner import Profile
    from conformance.target import Target

    with open(args.credentials) as handle:
        credentials = json.load(handle)
    phases = tuple(args.phases.split(",")) if args.phases else None
    profile = Profile.from_env(seed=args.seed, max_examples=args.max_examples, phases=phases)
    apis = suite.APIS if args.api == "all" else (args.api,)
    target = Target(credentials=credentials, base_url=args.base_url.rstrip("/"))

    def progress(line: str) -> None:
        print(line, flush=True)

    results = suite.run(target, apis, profile, progress)
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

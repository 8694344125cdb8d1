"""``spec-server diff OLD NEW``: the semantic change report of two OpenAPI documents (codegen.diff)."""

from __future__ import annotations


def register(subparsers) -> None:
    from codegen.diff.cli import add_arguments

    parser = subparsers.add_parser("diff", help="report the changes between two OpenAPI documents (files or REV:path)")
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from codegen.diff.cli import run as report

    return report(args)

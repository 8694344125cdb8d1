"""``spec-server diff OLD NEW``: read two documents (files or ``REV:path``), report, gate."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

from codegen.diff.document import compare
from codegen.diff.model import severity
from codegen.diff.render import FORMATS, render
from codegen.diff.rules import LEVELS


class DocumentError(ValueError):
    """A document that cannot be read or parsed; its message is one line."""


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def _read(spec: str, cwd: Path) -> str:
    path = Path(spec) if Path(spec).is_absolute() else cwd / spec
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DocumentError(f"cannot read {spec}: {_one_line(str(error))}") from None
    if ":" not in spec:
        raise DocumentError(f"cannot read {spec}: no such file")
    # REV:path, read from git as `git show` names it (path from the top of the checkout)
    try:
        shown = subprocess.run(["git", "show", spec], cwd=cwd, capture_output=True, check=False)
    except OSError as error:
        raise DocumentError(f"cannot read {spec}: {_one_line(str(error))}") from None
    if shown.returncode != 0:
        message = shown.stderr.decode(errors="replace").strip().splitlines() or ["git show failed"]
        raise DocumentError(f"cannot read {spec}: {_one_line(message[0])}")
    return shown.stdout.decode("utf-8", errors="replace")


def load_document(spec: str, cwd: Path | None = None) -> dict:
    """A document from a file path, or ``REV:path`` read with ``git show`` in ``cwd``."""
    text = _read(spec, Path(cwd) if cwd is not None else Path.cwd())
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)  # YAML is a superset: the same reader for both
        except yaml.YAMLError as error:
            raise DocumentError(f"cannot parse {spec}: {_one_line(str(error).splitlines()[0])}") from None
    if not isinstance(document, dict):
        raise DocumentError(f"cannot parse {spec}: not an OpenAPI document (no top-level object)")
    return document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD", help="the document before: a file or REV:path (e.g. HEAD~1:specs/x.json)")
    parser.add_argument("new", metavar="NEW", help="the document after: a file or REV:path")
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default), json or markdown")
    parser.add_argument("--fail-on", choices=LEVELS, metavar="LEVEL",
                        help="exit 1 when a change at LEVEL or more severe is found (breaking > non-breaking > info)")


def run(args: argparse.Namespace, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        old, new = load_document(args.old), load_document(args.new)
    except DocumentError as error:
        print(f"spec-server diff: {error}", file=err)
        return 2
    changes = compare(old, new)
    out.write(render(changes, args.format))
    if args.fail_on and any(severity(c.level) <= severity(args.fail_on) for c in changes):
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec-server diff", description="Report the changes between two OpenAPI documents.")
    add_arguments(parser)
    return run(parser.parse_args(argv))

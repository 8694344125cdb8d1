"""The type check of the hand-written code against ``generated/<api>/models.py``, as findings.

Views and handlers are annotated with the generated ``TypedDict`` of the body they build, so
when a document changes a response field's type or nullability, mypy reports the line that
builds that field. ``findings`` runs mypy with the project's configuration (``[tool.mypy]`` in
``pyproject.toml``) in a subprocess, in the project folder (its cache, ``.mypy_cache``, makes a
second run take about a second), and turns each error into one line that starts with the file
to edit: ``handlers/backlex/_views.py:15: Incompatible types (...)  [typeddict-item]``.

Without mypy installed (an install without the ``codegen`` or ``test`` extra) there is nothing
to run: ``findings`` returns no line and ``skipped`` says why.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

# "path:line: error: message  [code]", as mypy prints it without colour
_ERROR = re.compile(r"^(?P<where>[^:\s][^:]*:\d+): error: (?P<message>.*)$")


def skipped() -> str | None:
    """Why the type check cannot run here, or None when it can."""
    if importlib.util.find_spec("mypy") is None:
        return "mypy is not installed (pip install -e '.[codegen]'): the handlers were not type-checked"
    return None


def findings(root: Path) -> list[str]:
    if skipped() is not None or not (root / "pyproject.toml").exists():
        return []
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", "--no-color-output",
         "--no-error-summary", "--show-error-codes", "--hide-error-context"],
        cwd=root, capture_output=True, text=True, check=False)
    lines = []
    for line in result.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            lines.append(f"{match['where']}: {match['message']}")
    if result.returncode not in (0, 1) or (result.returncode == 1 and not lines):
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        lines.append(f"pyproject.toml: the type check (mypy) could not run: {detail[0]}")
    return lines

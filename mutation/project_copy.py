"""A throwaway copy of the project for the mutation run: one mutant applied at a time.

The copy holds what the server, the conformance suite and the behaviour tests import
(``COPIED``); commands run in it with ``cwd`` and ``PYTHONPATH`` at the copy, so the copy's
packages are imported, never this checkout's (as ``tests/workflow/project.py`` does for the
regeneration workflow). A mutant is one exact text edit; ``apply`` returns what puts the
file back, which the runner calls however the run ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = ("specs", "codegen", "generated", "handlers", "spec_server", "conformance", "tests", "docs", "mutation",
          "README.md", "pyproject.toml")
# settings a developer's shell may carry that would change what the copy does
CLEARED_ENV = ("DATABASE_URL", "RATE_LIMITS", "PLAN_LIMITS", "SPEC_SERVER_APIS", "PYTHONPATH",
               "SPEC_SERVER_FAULTS", "CONFORMANCE_PROFILE", "PUBLIC_BASE_URL")


def copy_of(names: tuple[str, ...], root: Path, *ignored: str) -> Path:
    """``names`` (folders and files of this checkout) copied under ``root``, without compiled
    files, build metadata and the ``ignored`` patterns (also the regeneration workflow's copy,
    ``tests/workflow/project.py``)."""
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", *ignored)
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy2(source, root / name)
    return root


def environment_in(root: Path, cleared: tuple[str, ...], **settings: str) -> dict[str, str]:
    """This process's environment for a command run in the copy at ``root``: the ``cleared``
    settings dropped, the copy's packages first on the path (never this checkout's)."""
    env = {k: v for k, v in os.environ.items() if k not in cleared}
    # (no PYTHONPYCACHEPREFIX: it would also hide site-packages' compiled modules)
    env.update(PYTHONPATH=str(root), PYTHONUNBUFFERED="1", **settings)
    return env


class StaleMutant(Exception):
    """The mutant's text is not in its file exactly once: the code moved on, edit the mutant."""


@dataclass(frozen=True)
class Outcome:
    killed: bool
    seconds: float
    output: str
    timed_out: bool = False


class ProjectCopy:
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def make(cls, where: Path) -> ProjectCopy:
        return cls(copy_of(COPIED, where / "project", "*.sqlite3*"))

    def apply(self, file: str, old: str, new: str) -> Callable[[], None]:
        """Edit the copy's file; returns what puts it back (StaleMutant, and no edit, when
        ``old`` is not in the file exactly once)."""
        path = self.root / file
        original = path.read_text()
        if original.count(old) != 1:
            raise StaleMutant(f"{file}: the text to replace occurs {original.count(old)} times, not once")
        path.write_text(original.replace(old, new))
        return lambda: path.write_text(original)

    def environment(self) -> dict[str, str]:
        return environment_in(self.root, CLEARED_ENV, PYTHONDONTWRITEBYTECODE="1")

    def run(self, *args: str, timeout: float) -> Outcome:
        """``python ARGS`` in the copy; a run that exits non-zero (or outlives ``timeout``) kills."""
        started = time.monotonic()
        try:
            done = subprocess.run([sys.executable, *args], cwd=self.root, env=self.environment(),
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            output = (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
            return Outcome(True, time.monotonic() - started, output, timed_out=True)
        return Outcome(done.returncode != 0, time.monotonic() - started, done.stdout + done.stderr)

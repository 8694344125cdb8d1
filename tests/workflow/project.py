"""A throwaway copy of the project, to run the regeneration workflow on as a user would.

The copy holds what a checkout needs to regenerate and serve (``COPIED``), is a git
repository of its own (the change report compares against the ``generated/`` of its HEAD),
and every command runs in a subprocess with ``cwd`` and ``PYTHONPATH`` at the copy: the
copy's packages are imported, so codegen and ``--scaffold`` read and write the copy's files,
never this checkout's. Logs, seed files and databases go to ``scratch``, outside the tree, so
``reset()`` can clean everything untracked.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from mutation.project_copy import copy_of, environment_in

REPO = Path(__file__).resolve().parents[2]
COPIED = ("specs", "codegen", "generated", "handlers", "spec_server", "conformance", "pyproject.toml")
# settings a developer's shell may carry that would change what the copy does
CLEARED_ENV = ("DATABASE_URL", "TEST_DATABASE_URL", "RATE_LIMITS", "PLAN_LIMITS", "SPEC_SERVER_APIS",
               "PYTHONPATH", "VALIDATE_RESPONSES", "SPEC_SERVER_FLAVOUR", "PUBLIC_BASE_URL")
GIT = ("git", "-c", "user.name=workflow-test", "-c", "user.email=workflow-test@example.com")
COMMAND_TIMEOUT = 120
START_TIMEOUT = 60


@dataclass(frozen=True)
class Result:
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """stdout's lines, stripped (codegen indents the lines of each section)."""
        return [line.strip() for line in self.stdout.splitlines() if line.strip()]

    def section(self, title: str) -> list[str]:
        """The lines codegen prints under ``<title>...:`` up to the next section."""
        found, inside = [], False
        for line in self.stdout.splitlines():
            if not line.startswith(" "):
                inside = line.startswith(title)
            elif inside:
                found.append(line.strip())
        return found

    def __str__(self) -> str:  # what an assertion shows
        return f"$ {' '.join(self.command)}\n[exit {self.returncode}]\n{self.stdout}\n{self.stderr}"


class Project:
    """A committed copy of the project under ``root``."""

    def __init__(self, root: Path, scratch: Path):
        self.root = root
        self.scratch = scratch

    @classmethod
    def copy_of_repo(cls, where: Path) -> Project:
        root = copy_of(COPIED, where / "project")
        (where / "scratch").mkdir()
        project = cls(root, where / "scratch")
        project.git("init", "-q")
        project.git("add", "-A")
        project.git("commit", "-q", "-m", "pristine copy")
        return project

    # ---- the tree

    def git(self, *args: str) -> str:
        return subprocess.run([*GIT, "-C", str(self.root), *args], check=True, capture_output=True,
                              text=True).stdout

    def reset(self) -> None:
        """Back to the pristine commit: every edit undone, every new file gone."""
        self.git("reset", "-q", "--hard")
        self.git("clean", "-q", "-fdx")

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read_json(self, relative: str) -> dict:
        return json.loads(self.path(relative).read_text())

    def write_json(self, relative: str, value: dict) -> None:
        self.path(relative).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n")

    def edit_json(self, relative: str, change: Callable[[dict], object]) -> dict:
        """Apply ``change`` to the file's JSON in place and write it back; returns the new value."""
        value = self.read_json(relative)
        change(value)
        self.write_json(relative, value)
        return value

    def document(self, api: str) -> dict:
        return self.read_json(f"specs/{api}.openapi.json")

    def edit_document(self, api: str, change: Callable[[dict], object]) -> dict:
        """An upstream change: the copy's ``specs/<api>.openapi.json`` edited by ``change``."""
        return self.edit_json(f"specs/{api}.openapi.json", change)

    # ---- commands

    def environment(self, **settings: str) -> dict[str, str]:
        return environment_in(self.root, CLEARED_ENV, **settings)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "spec_server.cli", *args]

    def run(self, *args: str, timeout: float = COMMAND_TIMEOUT, **settings: str) -> Result:
        """``spec-server ARGS`` in the copy (``settings``: environment variables)."""
        command = self.command(*args)
        done = subprocess.run(command, cwd=self.root, env=self.environment(**settings), capture_output=True,
                              text=True, timeout=timeout)
        return Result(tuple(["spec-server", *args]), done.returncode, done.stdout, done.stderr)

    def codegen(self, *flags: str) -> Result:
        return self.run("codegen", *flags)

    def seed(self, data: dict, database: str) -> dict:
        """``spec-server seed FILE``: what it created, with the credentials it printed."""
        seed_file = self.scratch / "seed.json"
        seed_file.write_text(json.dumps(data))
        done = self.run("seed", str(seed_file), "--database", database)
        assert done.returncode == 0, str(done)
        return json.loads(done.stdout)

    @contextlib.contextmanager
    def server(self, database: str, **settings: str) -> Iterator[Server]:
        """``spec-server serve`` in the copy on a free port, stopped on exit."""
        port = free_port()
        log = self.scratch / f"serve-{port}.log"
        with log.open("w") as output:
            process = subprocess.Popen(self.command("serve", "--port", str(port), "--database", database),
                                       cwd=self.root, env=self.environment(**settings), stdout=output,
                                       stderr=subprocess.STDOUT, text=True)
            server = Server(f"http://127.0.0.1:{port}", process, log)
            try:
                server.wait_until_listening(port)
                yield server
            finally:
                server.stop()

    def start_refused(self, database: str) -> Result:
        """``spec-server serve`` when it is expected to stop by itself: its exit and output. A
        server that listens instead is stopped and fails the test at once."""
        port = free_port()
        args = ("serve", "--port", str(port), "--database", database)
        process = subprocess.Popen(self.command(*args), cwd=self.root, env=self.environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if listening(port):
                process.terminate()
                process.communicate(timeout=15)
                raise AssertionError("the server started, though it was expected to refuse")
            time.sleep(0.1)
        if process.poll() is None:
            process.kill()
        stdout, stderr = process.communicate(timeout=15)
        return Result(("spec-server", *args), process.returncode, stdout, stderr)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def wait_until_listening(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log.read_text()}")
            if listening(port):
                return
            time.sleep(0.1)
        raise AssertionError(f"the server did not listen within {START_TIMEOUT}s:\n{self.log.read_text()}")

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""A copy of the project in a temporary folder, driven as a user drives it: through the CLI.

The copy holds the project's packages and documents and is a git checkout of its own (so
codegen's report compares against its HEAD); commands run in a subprocess with the copy as
working directory and first on ``PYTHONPATH``, so scaffolds and regenerations edit the copy's
files, never the repository's.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("specs", "codegen", "generated", "handlers", "spec_server", "conformance", "pyproject.toml")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ProjectCopy:
    root: Path

    @classmethod
    def make(cls, folder: Path) -> ProjectCopy:
        folder.mkdir(parents=True, exist_ok=True)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, folder / name, ignore=IGNORED)
            else:
                shutil.copy2(source, folder / name)
        copy = cls(folder)
        copy.git("init", "-q")
        copy.commit("the project as it is")
        return copy

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-C", str(self.root), "-c", "user.name=test", "-c", "user.email=test@example.com",
                               *args], capture_output=True, text=True, check=True)
        return done.stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root), **extra}

    def cli(self, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
        """``spec-server ARGS`` run from the copy."""
        return subprocess.run([sys.executable, "-m", "spec_server.cli", *args], cwd=self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)

    def serve(self, database: str, **env: str) -> Server:
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "spec_server.cli", "serve", "--port", str(port),
                                    "--database", database], cwd=self.root, env=self.env(**env),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return Server(process, f"http://127.0.0.1:{port}")


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str

    def wait(self, probe: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server stopped: " + self.process.stderr.read()[-3000:])
            try:
                httpx.get(self.base_url + probe, timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

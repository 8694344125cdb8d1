"""Behaviour checks: an API's documented rules proved through the API itself.

A behaviour check is a function ``check_<what>(probe)`` in a module of the API's conformance
package (``handlers/<api>/_conformance/<kind>.py``); ``discover`` finds them by that naming
rule, in module then source order. The first line of its docstring names what it proves:
Pathmode clause ids (``PM-INTENTS-LIST-5``) or a docs/behaviour.md section
(``docs/behaviour.md "backlex — Projects"``). It makes the state it needs through the API (an
item of the other tenant, N rows to page through), so it runs in-process and against a
deployment alike, and says what it found through its ``Probe``:

* ``probe.call(...)`` sends a request, recorded in the status table like every other;
* ``probe.expect(condition, title, response)`` records a failure, with a curl line that
  reproduces the request, when the condition does not hold;
* ``raise Skip(reason)`` when the check cannot run here (listed under "skipped");
* a failed set-up ends the check with ``probe.stop(title, response)``.

A check that raises anything else fails with what it raised: a server answering so that the
check cannot even read the answer has broken the rule too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from conformance.probes import Session
from conformance.runner import Failure

CITATION = re.compile(r'PM-[A-Z-]+-\d+|docs/behaviour\.md "[^"]+"|README "[^"]+"')


class Skip(Exception):
    """The check cannot run against this target; the message says why and what would let it."""


class Stopped(Exception):
    """The check recorded a failure it cannot go past (its set-up failed)."""


def discover(package: str) -> list[Callable]:
    """Every ``check_*`` function of the package's public modules (modules not starting with
    ``_``), in module order, then in the order they are written."""
    try:
        root = importlib.import_module(package)
    except ModuleNotFoundError as error:
        if error.name != package:
            raise
        return []
    if not hasattr(root, "__path__"):
        return []  # a single-module plugin has no behaviour checks
    found = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        checks = [value for name, value in vars(module).items()
                  if name.startswith("check_") and inspect.isfunction(value) and value.__module__ == module.__name__]
        found += sorted(checks, key=lambda check: check.__code__.co_firstlineno)
    return found


def citations(check: Callable) -> list[str]:
    """The clause ids or documented sections the first line of a check's docstring names."""
    first = (inspect.getdoc(check) or "").splitlines()[0] if check.__doc__ else ""
    return CITATION.findall(first)


def kind(check: Callable) -> str:
    """The kind of rule a check proves: its module's name (ordering, paging, ...)."""
    return check.__module__.rsplit(".", 1)[-1]


class Probe:
    """What one behaviour check works with: a recording session and its failures."""

    def __init__(self, session: Session, schema):
        self.session = session
        self.target = session.target
        self.schema = schema
        self.check: Callable | None = None
        self.last = None  # the last response, for a failure the check did not attach one to
        self.run_id = uuid.uuid4().hex[:8]  # marks what this run made (a deployment keeps earlier runs')
        self._templates = _templates(schema)

    # --- requests -----------------------------------------------------------------------
    def call(self, method: str, path: str, auth: dict | None = None, body: Any = None,
             params: dict | None = None):
        """``path`` is the full path (``/api/v1/intents``); the answer is recorded under its
        operation's label. ``params`` join the auth's own (a session's ``workspace_id``)."""
        auth = {key: dict(value) for key, value in (auth or {}).items()}
        if params:
            auth["params"] = {**auth.get("params", {}), **params}
        label = self.label_of(method, path)
        response = self.session.call(label, method.upper(), path, auth, body)
        response.label = label
        self.last = response
        return response

    def label_of(self, method: str, path: str) -> str:
        for template, pattern, label_method in self._templates:
            if label_method == method.upper() and pattern.fullmatch(path):
                return f"{label_method} {template}"
        return f"{method.upper()} {path}"

    @staticmethod
    def json(response) -> Any:
        """The answer's JSON, or ``{}`` when it has none (so a check reads on and reports)."""
        try:
            return response.json()
        except ValueError:
            return {}

    @staticmethod
    def tick() -> None:
        """Let a millisecond pass between two writes whose order a check reads: the servers'
        timestamps are milliseconds, and two writes within one would tie."""
        time.sleep(0.002)

    def marker(self, what: str = "") -> str:
        """A text no earlier run made: searching for it finds only this run's rows."""
        return f"{what}{self.run_id}{uuid.uuid4().hex[:6]}"

    # --- verdicts -----------------------------------------------------------------------
    def expect(self, condition: bool, title: str, response=None) -> bool:
        if not condition:
            self.fail(title, response)
        return bool(condition)

    def expect_status(self, response, expected: int | Iterable[int], title: str) -> bool:
        allowed = (expected,) if isinstance(expected, int) else tuple(expected)
        return self.expect(response.status_code in allowed,
                           f"{title}: {response.status_code}, expected {' or '.join(map(str, allowed))}",
                           response)

    def fail(self, title: str, response=None) -> None:
        """A failure under ``behaviour:<kind>``, titled with the check and what it cites."""
        response = response if response is not None else self.last
        if response is not None and response.status_code == 501 and self.session.allow_501:
            return
        check, name, cited = "behaviour", "behaviour", ""
        if self.check is not None:
            check = f"behaviour:{kind(self.check)}"
            name = self.check.__name__.removeprefix("check_")
            cited = f" ({', '.join(citations(self.check))})"
        self.session.result.failures.append(Failure(
            operation=getattr(response, "label", "behaviour"), check=check, title=f"{name}{cited}: {title}",
            message=response.text[:500] if response is not None else "",
            curl=getattr(response, "curl", ""), status=getattr(response, "status_code", None)))

    def stop(self, title: str, response=None):
        """Record a failure and end the check (its set-up failed: nothing after it can be read)."""
        self.fail(f"setup: {title}", response)
        raise Stopped(title)

    def require(self, response, expected: int | Iterable[int], title: str):
        """The answer's JSON when its status is expected, else a failure that ends the check."""
        if not self.expect_status(response, expected, f"setup: {title}"):
            raise Stopped(title)
        return self.json(response)


def run(checks: Sequence[Callable], probe: Probe) -> list[str]:
    """Run each check with the probe; returns the reasons of those skipped."""
    skipped = []
    for check in checks:
        probe.check, probe.last = check, None
        try:
            check(probe)
        except Skip as reason:
            skipped.append(f"{check.__name__.removeprefix('check_')}: {reason}")
        except Stopped:
            pass
        except Exception as error:  # noqa: BLE001 - the check could not read the answer: it fails
            probe.fail(f"the check could not go on: {error!r}\n{traceback.format_exc(limit=-2)}")
    probe.check = None
    return skipped


def _templates(schema) -> list[tuple[str, re.Pattern, str]]:
    """(label template, pattern of the full path, METHOD) of every operation, literal paths first."""
    base = schema.base_path.rstrip("/")
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        pattern = re.compile(re.escape(base) + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(operation.path)))
        found.append((operation.path, pattern, operation.method.upper()))
    return sorted(found, key=lambda item: item[0].count("{"))


# --- assertions shared by the plugins' checks ----------------------------------------------

def out_of_order(items: Sequence, key: Callable, *, descending: bool = False) -> int | None:
    """The index of the first item that breaks the order of ``key`` (None when in order)."""
    for index in range(1, len(items)):
        before, after = key(items[index - 1]), key(items[index])
        if (after > before) if descending else (after < before):
            return index
    return None


def in_relative_order(listed: Sequence, expected: Sequence) -> bool:
    """``expected`` appear in ``listed`` in that order (others may stand between them)."""
    positions = [listed.index(item) for item in expected if item in listed]
    return len(positions) == len(expected) and positions == sorted(positions)


def page(full: Sequence, offset: int, limit: int) -> list:
    """What a page of ``limit`` from ``offset`` holds: ``min(limit, remaining)`` items."""
    return list(full[offset:offset + limit])


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """The names of the other tenant's values (ids, markers) that appear in an answer."""
    return sorted(name for name, value in secrets.items() if value and value in text)

"""Hand-written tables keyed by values a document lists, checked against the document.

What a document leaves unstated is written by hand once (backlex's plans and their prices,
Pathmode's timestamps per status), but many such tables are keyed by values the document
does list: the plans a checkout accepts, the statuses a PATCH sets, the agents a prompt is
written for. Each table says where its keys come from, beside it, in its module's ``KEYED``:
an operation and the body property or parameter whose enum keys it. ``findings`` checks
every declaration of an API's handler modules against the operation table (the generated
one, or ``codegen --check``'s fresh parse): a value the document lists that the table lacks,
or a link to an operation or list the document no longer has, is one line naming the table's
file; ``--check`` and start-up stop on it, before a request meets the gap. A table may hold
more keys than the document lists (``free`` is a plan no checkout sells).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from spec_server.handler_check import module_file
from spec_server.operations import Operation


@dataclass(frozen=True)
class Keyed:
    module: str  # ``__name__`` of the module that holds the table
    table: str  # its name there, as the finding shows it
    keys: Collection[str]
    operation_id: str
    field: str  # the body property (else parameter) whose listed values key the table

    @property
    def file(self) -> str:
        return module_file(self.module)


def declared_in(package: str) -> list[Keyed]:
    """Every ``KEYED`` declaration of the package's own modules (not its subpackages)."""
    found: list[Keyed] = []
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if not module.ispkg:
            found += getattr(importlib.import_module(f"{package}.{module.name}"), "KEYED", ())
    return found


def findings(tables: Iterable[Keyed], operations: Sequence[Operation]) -> list[str]:
    by_id = {op.operation_id: op for op in operations}
    lines = []
    for keyed in tables:
        op = by_id.get(keyed.operation_id)
        listed = op.choices(keyed.field) if op is not None else None
        if op is None or listed is None:
            gone = "no such operation" if op is None else f"it lists no values for {keyed.field!r}"
            lines.append(f"{keyed.file}: {keyed.table} is keyed by {keyed.field!r} of {keyed.operation_id}, but "
                         f"{gone} in the document: check the table and correct its KEYED entry")
            continue
        missing = [value for value in listed if value not in keyed.keys]
        if missing:
            lines.append(f"{keyed.file}: {keyed.table} has no entry for {', '.join(map(repr, missing))}, which "
                         f"{op.method} {op.path} ({op.operation_id}) accepts as {keyed.field!r}: add "
                         f"{'it' if len(missing) == 1 else 'them'}")
    return lines

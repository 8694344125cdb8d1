"""What ``codegen --check`` asks of the hand-written code, against a fresh parse of ``specs/``.

Every finding is one line that starts with the file to edit:

- an operation without a handler, or a handler whose signature does not take exactly the
  operation's parameters and body (``spec_server.handler_check``, also run at start-up);
- a handler left over from a removed or renamed operation;
- an API's own completeness rules (backlex: a permission-table row for every org-scoped
  operation; Pathmode: a number in every plan for each quota a description names), and
  rate-limit bucket names that would mean two limits;
- a hand-written table keyed by a list of the document (a plan, a status) without an entry
  for one of its values (``spec_server.choices``);
- an API folder with no document, or a document with no handlers yet;
- error answers of one document in more than one shape (its envelope builds one, ``ErrorBody``);
- every type error mypy finds in the code typed with ``generated/<api>/models.py``
  (``codegen.typecheck``): a response field whose type changed, at the line that builds it.
"""

from __future__ import annotations

from pathlib import Path

from codegen import typecheck
from codegen.parser import ApiSpec
from spec_server import apis, handler_check


def code_findings(specs: list[ApiSpec], root: Path) -> list[str]:
    findings: list[str] = []
    definitions = []
    fresh = {}
    for spec in specs:
        name = spec.config.name
        rows = [operation.row() for operation in spec.operations]
        if not (root / "handlers" / name / "__init__.py").exists():
            findings.append(f"handlers/{name}/: {len(rows)} operations of specs/{name}.openapi.json have no "
                            f"handlers (`spec-server codegen --scaffold` writes their skeleton)")
            continue
        findings += handler_check.handler_findings(name, rows)
        findings += error_shape_findings(spec)
        if not (root / "handlers" / name / "_api.py").exists():
            findings.append(f"handlers/{name}/_api.py: missing: the API's definition (security step, "
                            f"envelope), `spec-server codegen --scaffold` writes a skeleton")
            continue
        try:
            definitions.append(apis.load(name))
        except Exception as error:  # noqa: BLE001 - any import failure is a finding, with its cause
            findings.append(f"handlers/{name}/_api.py: cannot be imported: {type(error).__name__}: {error}")
            continue
        fresh[name] = rows
    findings += apis.completeness_findings(definitions, fresh)
    documented = {spec.config.name for spec in specs}
    for folder in sorted((root / "handlers").glob("*/__init__.py")):
        name = folder.parent.name
        if name not in documented and not name.startswith("_"):
            findings.append(f"handlers/{name}/: no specs/{name}.openapi.json: left over from a removed API?")
    return findings + typecheck.findings(root)


def error_shape_findings(spec: ApiSpec) -> list[str]:
    """The envelope (``handlers/<api>/_api.py``) answers every error with one body, typed
    ``ErrorBody``: the shape most error answers of the document have. Each other shape is a
    finding naming the answers that have it."""
    shapes = spec.bodies.errors
    name, lines = spec.config.name, []
    for shape in shapes[1:]:
        more = len(shape.answers) - 3
        shown = ", ".join(shape.answers[:3]) + (f" and {more} more" if more > 0 else "")
        lines.append(f"handlers/{name}/_api.py: envelope: {len(shape.answers)} error answers of "
                     f"specs/{name}.openapi.json differ from ErrorBody, the shape of the "
                     f"{len(shapes[0].answers)} others ({shown}); one envelope cannot build both: "
                     f"{shape.schema}")
    return lines

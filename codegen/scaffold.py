"""``spec-server codegen --scaffold``: a 501 stub for every operation without a handler.

For each operation whose handler module or function is missing, a function with the
signature connexion calls (path parameters, required query parameters, ``body``, then
optional query parameters defaulting to None) is appended to ``handlers/<api>/<tag>.py``,
the module created for a new tag. A new API also gets ``handlers/<api>/__init__.py`` and an
``_api.py`` skeleton (its security step answers 501 until written), and an API with tables of
its own to complete (backlex's permission table) writes the rows it needs
(``ApiDefinition.scaffold``). Nothing existing is overwritten: stubs are only ever appended.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import jinja2

from codegen.parser import ApiSpec, Operation
from spec_server import apis

TEMPLATES = Path(__file__).with_name("templates") / "scaffold"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                              autoescape=False)


def signature(operation: Operation) -> str:
    required = [p.argument for p in operation.parameters if p.location == "path"]
    required += [p.argument for p in operation.parameters if p.location == "query" and p.required]
    if operation.has_body:
        required.append("body")
    optional = [f"{p.argument}=None" for p in operation.parameters if p.location == "query" and not p.required]
    return ", ".join(required + optional)


def _defined(module_name: str, function: str) -> bool:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return False
    return callable(getattr(module, function, None))


def _summary(spec: ApiSpec, operation: Operation) -> str:
    raw = spec.document["paths"][operation.path][operation.method.lower()]
    return " ".join(str(raw.get("summary", "")).split()).replace('"', "'").rstrip(".")


def scaffold(spec: ApiSpec, root: Path) -> list[str]:
    """Write what ``spec`` lacks under ``root/handlers``; one line per file written."""
    env = _environment()
    env.filters["pyrepr"] = repr
    api = spec.config.name
    title = spec.document["info"]["title"]
    package = root / "handlers" / api
    written = []
    if not (package / "__init__.py").exists():
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(env.get_template("package_init.py.jinja").render(title=title))
        written.append(f"handlers/{api}/__init__.py: created")
    if not (package / "_api.py").exists():
        schemes = sorted(spec.document.get("components", {}).get("securitySchemes", {}))
        (package / "_api.py").write_text(env.get_template("api_module.py.jinja").render(
            api=api, mount=spec.mount, title=title, schemes=schemes))
        written.append(f"handlers/{api}/_api.py: created (write its security step and envelope)")
    importlib.invalidate_caches()
    for operation in spec.operations:
        if _defined(operation.handler_module, operation.handler_function):
            continue
        path = package / f"{operation.handler_module.rpartition('.')[2]}.py"
        if not path.exists():
            path.write_text(env.get_template("tag_module.py.jinja").render(title=title, tag=operation.tag))
        stub = env.get_template("handler_stub.py.jinja").render(
            function=operation.handler_function, signature=signature(operation), op=operation,
            summary=_summary(spec, operation))
        path.write_text(path.read_text().rstrip("\n") + "\n" + stub)
        sys.modules.pop(operation.handler_module, None)  # the next operation of the tag reads it anew
        written.append(f"handlers/{api}/{path.name}: {operation.handler_function} "
                       f"({operation.method} {operation.public_path}) answers 501 until written")
    try:
        definition = apis.load(api)
    except Exception:  # noqa: BLE001 - a broken _api.py is --check's to report
        return written
    if definition.scaffold is not None:
        written += definition.scaffold([operation.row() for operation in spec.operations])
    return written

"""Do the hand-written handlers fit the operations? Asked by ``codegen --check`` and at start-up.

connexion (with ``pythonic_params``) calls a handler with keyword arguments: every path
parameter, each query parameter the signature names (when the request has it or the document
gives a default), and ``body`` when the operation has a request body. So a handler fits when
its keywords are exactly the operation's parameters and body, an optional query parameter
with no documented default has a Python default, and nothing else is required. Each finding
names the file to edit; a request never has to meet the mismatch first.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterable
from pathlib import Path

from spec_server.operations import Operation

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# what connexion passes besides parameters, when the signature asks for it
CONTEXT_ARGUMENTS = {"user", "token_info", "context_"}


def _where(module) -> str:
    path = Path(getattr(module, "__file__", "") or "")
    parts = path.parts
    return "/".join(parts[parts.index("handlers"):]) if "handlers" in parts else str(path)


def module_file(dotted: str) -> str:
    """``handlers.pathmode.notes`` → ``handlers/pathmode/notes.py``, as findings name a file."""
    return dotted.replace(".", "/") + ".py"


def signature_findings(operation: Operation, function) -> list[str]:
    """How ``function``'s signature differs from what connexion passes for ``operation``."""
    label = f"{operation.method} {operation.path}"
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return [f"{function.__name__}: its signature cannot be read ({label})"]
    parameters = signature.parameters.values()
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    named = {p.name: p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    expected = {p.argument: p for p in operation.parameters}
    findings = []
    findings += [f"{function.__name__}: parameter {p.name} is positional-only; connexion passes keywords"
                 for p in parameters if p.kind is p.POSITIONAL_ONLY]
    for argument, parameter in expected.items():
        if argument in named:
            if (parameter.location == "query" and not parameter.required and not parameter.has_default
                    and named[argument].default is inspect.Parameter.empty):
                findings.append(f"{function.__name__}: {argument} needs a default: query parameter "
                                f"{parameter.name} is optional and the document gives none ({label})")
        elif not takes_any:
            findings.append(f"{function.__name__}: no parameter {argument} for {parameter.location} parameter "
                            f"{parameter.name} ({label})")
    if operation.has_body and "body" not in named and not takes_any:
        findings.append(f"{function.__name__}: no parameter body for the request body ({label})")
    for name, p in named.items():
        if name in expected or name in CONTEXT_ARGUMENTS or (name == "body" and operation.has_body):
            continue
        what = "it has a default, so it is always that default" if p.default is not p.empty else "every call fails"
        findings.append(f"{function.__name__}: parameter {name} is no parameter of {label}; connexion never "
                        f"passes it ({what})")
    return findings


def handler_findings(api: str, operations: Iterable[Operation]) -> list[str]:
    """Missing handlers, signatures that do not fit, and handlers left over from removed
    operations (public functions named like an operation, ``<method>_...``, in a tag module)."""
    operations = list(operations)
    findings = []
    for operation in operations:
        module_name, _, function_name = operation.handler.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            findings.append(f"{module_file(module_name)}: missing: {operation.method} {operation.path} has "
                            f"no handler {function_name} (`spec-server codegen --scaffold` writes one)")
            continue
        function = getattr(module, function_name, None)
        if not callable(function):
            findings.append(f"{_where(module)}: no function {function_name} for {operation.method} "
                            f"{operation.path} (`spec-server codegen --scaffold` writes one)")
            continue
        findings += [f"{_where(module)}: {line}" for line in signature_findings(operation, function)]
    return findings + leftover_findings(api, operations)


def tag_modules(api: str) -> list[str]:
    """``handlers.<api>.<tag>``: the package's public modules (private ``_x`` ones hold helpers)."""
    try:
        package = importlib.import_module(f"handlers.{api}")
    except ModuleNotFoundError:
        return []
    return sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
                  if not m.name.startswith("_") and not m.ispkg)


def leftover_findings(api: str, operations: Iterable[Operation]) -> list[str]:
    handlers = {operation.handler for operation in operations}
    findings = []
    for module_name in tag_modules(api):
        module = importlib.import_module(module_name)
        for name, value in sorted(vars(module).items()):
            if (inspect.isfunction(value) and value.__module__ == module_name and name.split("_")[0] in HTTP_METHODS
                    and f"{module_name}.{name}" not in handlers):
                findings.append(f"{_where(module)}: {name} handles no operation of the document (left over "
                                f"from a removed or renamed operation? remove it, or make a helper private: _{name})")
    return findings


def bucket_findings(api: str, buckets: Iterable[str]) -> list[str]:
    """Every rate-limit bucket a handler names (``ratelimit.hit("name", ...)``) has numbers: the
    document's (``x-rateLimit``) or the API's own table. A bucket in no table would answer 500
    at its first request; here it stops ``--check`` and the start, naming the line."""
    try:
        package = importlib.import_module(f"handlers.{api}")
    except ModuleNotFoundError:
        return []
    known = set(buckets)
    findings = []
    for folder in package.__path__:
        for path in sorted(Path(folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "hit"
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "ratelimit"
                        and node.args and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str) and node.args[0].value not in known):
                    where = "/".join(path.parts[path.parts.index("handlers"):])
                    findings.append(f"{where}:{node.lineno}: rate-limit bucket {node.args[0].value!r} is in no table: "
                                    "the document's x-rateLimit or the API's extra_rate_limits must give its numbers")
    return findings

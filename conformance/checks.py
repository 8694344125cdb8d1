"""Checks the generic schemathesis checks cannot make for these documents.

* ``example_shape``: Pathmode declares most 2xx bodies only as ``type: object`` plus an
  example. A body must carry every key of the documented example with the same JSON type
  (null is accepted where the example shows null, where the response description calls
  the key nullable, or where a request body leaves the property optional; a free-form
  request object is a map whose example keys are not required — ``narrowing.request_rules``).
  Lists are checked item by item against the example's first item.
* ``stream_and_file_format``: non-JSON 2xx answers (the analyze-codebase NDJSON stream,
  the export file) carry a documented content type, and an NDJSON stream is one JSON value
  per line.
* ``not_implemented``: a 501 is a missing handler; it fails unless the run allows 501 for
  the interim (``CONFORMANCE_ALLOW_501=1``), in which case the operation is listed apart.

They are registered with ``schemathesis.check`` when this module is imported, so every run
(in-process or remote) applies them.
"""

from __future__ import annotations

import json
import os
import re

import schemathesis
from schemathesis.core.failures import Failure

from conformance import narrowing, plugin

JSON_TYPES = ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"),
              (list, "array"), (dict, "object"), (type(None), "null"))


class ShapeMismatch(Failure):
    def __init__(self, *, operation: str, problems: list[str]) -> None:
        super().__init__(
            operation=operation,
            title="Response body does not match the documented example",
            message="\n".join(problems[:10]),
        )



class FormatMismatch(Failure):
    def __init__(self, *, operation: str, message: str) -> None:
        super().__init__(operation=operation, title="Stream or file response is malformed",
                         message=message)



class NotImplementedOperation(Failure):
    def __init__(self, *, operation: str) -> None:
        super().__init__(operation=operation, title="Operation not implemented (501)",
                         message="The server answers 501: the handler is not built yet")



def json_type(value) -> str:
    return next(name for kind, name in JSON_TYPES if isinstance(value, kind))


def nullable_keys(description: str) -> set[str]:
    """Keys a response description calls nullable ("`shippedAt` is nullable", "x or null")."""
    keys = set()
    for sentence in re.split(r"[.;\n]", description or ""):
        if re.search(r"nullable|or null|may be null|can be null", sentence, re.I):
            keys.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sentence))
    return keys


def shape_problems(body, example, path: str = "$", nullable: frozenset[str] = frozenset(),
                   optional: frozenset[str] = frozenset(), maps: frozenset[str] = frozenset()) -> list[str]:
    """Differences between ``body`` and the documented ``example`` (keys and JSON types).

    ``nullable``/``optional`` hold key names or generic paths (``$.keys[].lastUsedAt``)."""
    if example is None:
        return []  # the example shows null: any type (or null) is documented
    generic = re.sub(r"\[\d+\]", "[]", path)
    name = path.rsplit(".", 1)[-1].split("[")[0]
    if body is None:
        return [] if name in nullable or generic in nullable else [
            f"{path}: null, the example shows {json_type(example)}"]
    if json_type(body) != json_type(example):
        return [f"{path}: {json_type(body)}, the example shows {json_type(example)}"]
    problems: list[str] = []
    if isinstance(example, dict) and name in maps:
        return []  # a free-form map: the example's keys are data, not required keys
    if isinstance(example, dict):
        for key, value in example.items():
            if key not in body:
                if re.sub(r"\[\d+\]", "[]", f"{path}.{key}") not in optional:
                    problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(shape_problems(body[key], value, f"{path}.{key}", nullable, optional, maps))
    elif isinstance(example, list) and example:
        for index, item in enumerate(body):
            problems.extend(shape_problems(item, example[0], f"{path}[{index}]", nullable, optional, maps))
    return problems


def documented_response(case, status: int) -> dict | None:
    responses = case.operation.definition.raw.get("responses", {})
    return responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")


def media_type(response) -> str:
    values = response.headers.get("content-type") or response.headers.get("Content-Type") or [""]
    value = values[0] if isinstance(values, list) else values
    return value.split(";")[0].strip().lower()


@schemathesis.check
def example_shape(ctx, response, case):
    if not 200 <= response.status_code < 300:
        return None
    documented = documented_response(case, response.status_code)
    content = (documented or {}).get("content", {}).get("application/json")
    if not content or "example" not in content or media_type(response) != "application/json":
        return None
    if (content.get("schema") or {}).get("properties"):
        return None  # a real schema: response_schema_conformance covers it
    try:
        body = json.loads(response.content)
    except ValueError:
        return None  # content_type_conformance / schema checks report unparseable JSON
    api_plugin = plugin.of_case(case)
    optional, nullable = (api_plugin.narrowing.example_allowance(case.operation.label) if api_plugin
                          else (frozenset(), frozenset()))
    request_optional, maps = narrowing.request_rules(case.operation.schema.raw_schema)
    nullable = nullable | request_optional | frozenset(nullable_keys(documented.get("description", "")))
    problems = shape_problems(body, content["example"], optional=optional, nullable=nullable, maps=maps)
    if problems:
        raise ShapeMismatch(operation=case.operation.label, problems=problems)
    return True


def ndjson_problem(text: str) -> str | None:
    """The first line of an NDJSON stream that is not one JSON value, or None. Lines end at
    "\n" alone: ``str.splitlines`` would also cut at U+2028, U+0085 and the like, which JSON
    strings may hold unescaped."""
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError:
            return f"NDJSON line {number} is not JSON: {line[:80]!r}"
    return None


@schemathesis.check
def stream_and_file_format(ctx, response, case):
    if not 200 <= response.status_code < 300:
        return None
    documented = documented_response(case, response.status_code) or {}
    declared = set(documented.get("content", {}))
    if not declared or declared == {"application/json"}:
        return None
    actual = media_type(response)
    if actual not in declared:
        raise FormatMismatch(operation=case.operation.label,
                             message=f"Content-Type {actual!r} is not one of {sorted(declared)}")
    if actual == "application/x-ndjson":
        problem = ndjson_problem(response.content.decode("utf-8", "replace"))
        if problem:
            raise FormatMismatch(operation=case.operation.label, message=problem)
    return True


def allow_501() -> bool:
    return os.environ.get("CONFORMANCE_ALLOW_501", "0") == "1"


@schemathesis.check
def not_implemented(ctx, response, case):
    if response.status_code == 501:
        raise NotImplementedOperation(operation=case.operation.label)
    return True

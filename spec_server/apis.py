"""What the app needs to know about one API; each API defines one in ``handlers/<api>/_api.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spec_server.errors import ApiError
from spec_server.operations import Operation


@dataclass(frozen=True)
class ApiDefinition:
    name: str
    mount: str  # path prefix the API is served under
    openapi_path: Path  # generated runtime document
    operations: Mapping[str, Operation]  # by operationId, from the generated table
    envelope: Callable[[ApiError], dict]  # error body in the API's own shape
    schema_error_status: int  # status of a request that breaks the schema (400 or 422)
    # the security step: decides who calls (or raises 400/401/403/429) before validation
    authorize: Callable[[Operation, Any], Any]
    # runs in the handler's thread before it, with its keyword arguments (e.g. org roles)
    before_handler: Callable[[Operation, dict], None] | None = None
    scheme_hooks: Mapping[str, str] = field(default_factory=dict)  # scheme -> x-*InfoFunc key

    def owns(self, path: str) -> bool:
        return path == self.mount or path.startswith(self.mount + "/")

    def allowed_methods(self, path: str) -> list[str]:
        """Methods the document defines for a concrete path (for 405's Allow header)."""
        methods = {op.method for op in self.operations.values() if _template_matches(op.path, path)}
        return sorted(methods | ({"HEAD"} if "GET" in methods else set()))


def _template_matches(template: str, path: str) -> bool:
    parts, actual = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(actual) and all(
        p.startswith("{") or p == a for p, a in zip(parts, actual, strict=True))

"""The security step for an API whose credentials each map to a principal with scopes.

An operation's ``security`` (in the generated table) lists alternatives; each alternative
names schemes with the scopes it requires. ``authorize`` reads each scheme's credential
where the document says it travels (an apiKey's header, query or cookie; a bearer token for
``http`` bearer, ``oauth2`` and ``openIdConnect``), asks the API's ``resolve(scheme,
credential)`` for the principal, and admits the request when every scheme of one alternative
resolved and granted its scopes. No credential at all is 401; a credential that resolves but
lacks a scope is 403 naming the scope. APIs with rules of their own (backlex, Pathmode) write
their own step; this one is for the rest (``codegen --scaffold``'s skeleton points here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spec_server.errors import Forbidden, Unauthorized
from spec_server.operations import Operation


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str] = frozenset()
    data: Any = field(default=None, compare=False)  # whatever the API wants its handlers to see


def schemes_of(openapi_path: Path) -> dict[str, dict]:
    """The security schemes of a generated runtime document."""
    return json.loads(openapi_path.read_text()).get("components", {}).get("securitySchemes", {})


def credential(scheme: dict, request) -> str | None:
    """The credential a request carries for one scheme, or None."""
    kind = scheme.get("type")
    if kind == "apiKey":
        where = {"header": request.headers, "query": request.query_params, "cookie": request.cookies}.get(
            str(scheme.get("in")))
        value = where.get(str(scheme.get("name", ""))) if where is not None else None
        return value or None
    if kind in ("http", "oauth2", "openIdConnect"):
        expected = "basic" if str(scheme.get("scheme", "")).lower() == "basic" else "bearer"
        kind_given, _, value = (request.headers.get("authorization") or "").partition(" ")
        return value.strip() or None if kind_given.lower() == expected else None
    return None


def authorize(operation: Operation, request, schemes: dict[str, dict],
              resolve: Callable[[str, str], Principal | None]) -> Principal | None:
    """The principal of the first alternative that holds; None for a public operation."""
    if not operation.security or any(not alternative for alternative in operation.security):
        return None  # public, or one alternative that needs nothing
    presented = False
    lacking: list[str] = []
    for alternative in operation.security:
        principal = None
        for scheme_name, scopes in alternative:
            given = credential(schemes.get(scheme_name, {}), request)
            if given is None:
                break
            presented = True
            found = resolve(scheme_name, given)
            if found is None:
                raise Unauthorized("Invalid credentials")
            missing = [scope for scope in scopes if scope not in found.scopes]
            if missing:
                lacking += missing
                break
            principal = found
        else:
            if principal is not None:
                return principal
    if not presented:
        raise Unauthorized("Authentication required")
    raise Forbidden(f"Insufficient scope: this operation requires {', '.join(sorted(set(lacking)))}")

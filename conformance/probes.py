"""The shared mechanism of the API plugins' own checks (isolation, roles, revocation, behaviour).

A ``Session`` is an httpx client over the target that records every answer in the result's
status table (so the summary shows what the checks provoked), and a failure with a curl
line to reproduce it. ``request_for`` builds a schema-valid request for an operation with
fixed ids (so the answer observed is the server's decision, not request validation), and
``snapshot``/``unchanged`` prove a tenant's state reads the same before and after.
"""

from __future__ import annotations

import json
import re

from conformance.runner import ApiResult, Failure
from conformance.strategies import valid_case
from conformance.target import Target

DENIED = (403, 404)
FAKE_ID = "00000000-0000-4000-8000-000000000000"


def _curl(method: str, url: str, kwargs: dict) -> str:
    parts = [f"curl -X {method} '{url}'"]
    for name, value in kwargs.get("headers", {}).items():
        parts.append(f"-H '{name}: {value}'")
    if kwargs.get("cookies"):
        parts.append("-b '" + "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items()) + "'")
    if "json" in kwargs:
        parts.append(f"-H 'Content-Type: application/json' -d '{json.dumps(kwargs['json'])}'")
    return " ".join(parts)


class Session:
    """An httpx client that records statuses per operation label and failures."""

    def __init__(self, target: Target, result: ApiResult, check: str, allow_501: bool = False):
        self.target, self.result, self.check = target, result, check
        self.client = target.client()
        self.base = target.base_url or "http://127.0.0.1:8000"
        self.allow_501 = allow_501

    def call(self, label: str, method: str, path: str, auth: dict, body=None):
        kwargs = {key: dict(value) for key, value in auth.items()}
        if body is not None:
            kwargs["json"] = body
        self.client.cookies.clear()
        response = self.client.request(method, path, **kwargs)
        self.result.observed[label][response.status_code] += 1
        if response.status_code == 501:
            self.result.not_implemented.add(label)
        response.curl = _curl(method, self.base + path + _query(kwargs), kwargs)
        return response

    def expect_each(self, operation, path: str, body, callers: dict[str, dict], status: int, why: str) -> None:
        """Call the operation as each caller (name -> auth); any answer but ``status`` fails,
        titled "<caller> <why>: <got>, expected <status>"."""
        for who, auth in callers.items():
            response = self.call(operation.label, operation.method.upper(), path, auth, body)
            if response.status_code != status:
                self.fail(operation.label, f"{who} {why}: {response.status_code}, expected {status}", response)

    def fail(self, label: str, title: str, response) -> None:
        if response is not None and response.status_code == 501 and self.allow_501:
            return
        self.result.failures.append(Failure(
            operation=label, check=self.check, title=title,
            message=(response.text[:500] if response is not None else ""),
            curl=getattr(response, "curl", ""), status=getattr(response, "status_code", None)))


def _query(kwargs: dict) -> str:
    params = kwargs.get("params")
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


def operations(schema):
    for found in schema.get_all_operations():
        yield found.ok()


def request_for(operation, path_parameters: dict, query: dict | None = None):
    """Path and a schema-valid body for ``operation`` with the given ids."""
    fixed = {"path_parameters": path_parameters} if path_parameters else {}
    case = valid_case(operation, **fixed)
    body = None if type(case.body).__name__ == "NotSet" else case.body
    path = operation.schema.base_path.rstrip("/") + case.formatted_path
    return path, body


def snapshot(session: Session, reads: list[tuple[str, dict]]) -> list:
    state = []
    for path, auth in reads:
        session.client.cookies.clear()
        response = session.client.request("GET", path, **auth)
        state.append((path, response.status_code, stable(response.text)))
    return state


def unchanged(session: Session, label: str, title: str, before: list, reads: list) -> None:
    after = snapshot(session, reads)
    changed = [f"GET {old[0]}: {old[1]} {old[2][:300]}\n  now {new[1]} {new[2][:300]}"
               for old, new in zip(before, after, strict=True) if old != new]
    if changed:
        session.result.failures.append(Failure(operation=label, check=session.check, title=title,
                                               message="\n".join(changed), curl="", status=None))


def stable(text: str) -> str:
    """A body with its read-tracking timestamps removed (reading may refresh lastUsedAt)."""
    return re.sub(r'"(lastUsedAt|lastSeenAt|readAt)":("[^"]*"|null|\d+)', "", text)


def authentication_required(session: Session, schema) -> None:
    """Every operation whose document requires credentials answers 401 to a schema-valid
    request that carries none (whatever its schemes: schemathesis's own probe cannot strip an
    OAuth2 token), and the tenant's data reads the same."""
    for operation in operations(schema):
        security = operation.definition.raw.get("security", schema.raw_schema.get("security", []))
        if not security or any(not requirement for requirement in security):
            continue  # public, or an alternative that needs nothing
        path, body = request_for(operation, {})
        response = session.call(operation.label, operation.method.upper(), path, {}, body)
        if response.status_code != 401:
            session.fail(operation.label, f"no credentials: {response.status_code}, expected 401", response)

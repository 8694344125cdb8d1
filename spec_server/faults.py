"""Planted faults: bugs the server can be started with, to prove the conformance suite fails.

Selected by ``SPEC_SERVER_FAULTS=a,b`` (``settings().faults``); never active otherwise.
Each is hooked into shared code by a one-line call named after the fault:

| fault | what goes wrong | hook |
| --- | --- | --- |
| ``wrong-status`` | a finished GET answers 202 instead of its documented 200 | ``pipeline.wrap`` |
| ``missing-field`` | a required response field is dropped | ``pipeline.wrap`` |
| ``edge-500`` | an empty string anywhere in the input crashes the handler (500) | ``pipeline.wrap`` |
| ``cross-tenant`` | an intent is found by id in any workspace | ``_common.intent_in_workspace`` |
| ``accept-invalid`` | a request body breaking the schema is accepted | ``validation.body_validator`` |
| ``revoked-key`` | an API key keeps working after it is revoked (stale auth cache) | ``_api.caller_from_key`` |
| ``no-body-limit`` | request bodies are read whatever their size or pace | ``bounds.BodyLimits`` |
"""

from __future__ import annotations

from spec_server.config import settings

ALL = ("wrong-status", "missing-field", "edge-500", "cross-tenant", "accept-invalid", "revoked-key",
       "no-body-limit")

# operations the response faults touch: finished handlers with a 200 JSON object body
WRONG_STATUS_OPERATIONS = {"get_workspace", "get_account"}
MISSING_FIELD_OPERATIONS = {"get_workspace", "get_account", "get_orgs"}

_remembered_keys: dict[str, object] = {}


def active(name: str) -> bool:
    return name in settings().faults


def _contains_empty_string(value) -> bool:
    if isinstance(value, str):
        return value == ""
    if isinstance(value, dict):
        return any(_contains_empty_string(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_empty_string(v) for v in value)
    return False


def crash_on_edge_case(kwargs: dict) -> None:
    """edge-500: an empty string in a parameter or the body raises (→ 500)."""
    if active("edge-500") and _contains_empty_string(kwargs):
        raise RuntimeError("planted fault edge-500: empty string")


def distort_response(operation_id: str, result):
    """wrong-status / missing-field on a handler's ``(body, status[, headers])``."""
    if not isinstance(result, tuple) or len(result) < 2:
        return result
    body, status, *rest = result
    if active("missing-field") and operation_id in MISSING_FIELD_OPERATIONS and isinstance(body, dict) and body:
        body = dict(list(body.items())[1:])  # drop the first (required) key
    if active("wrong-status") and operation_id in WRONG_STATUS_OPERATIONS and status == 200:
        status = 202
    return (body, status, *rest)


def cross_tenant() -> bool:
    """cross-tenant: the intent lookup stops filtering by the caller's workspace."""
    return active("cross-tenant")


def skip_body_validation() -> bool:
    """accept-invalid: the body validator lets a schema-breaking body through."""
    return active("accept-invalid")


def remember_key(token: str, caller):
    """revoked-key: cache every caller a key resolved to..."""
    if active("revoked-key"):
        _remembered_keys[token] = caller
    return caller


def revoked_key_caller(token: str):
    """...and keep answering from that cache after the key row is gone."""
    return _remembered_keys.get(token) if active("revoked-key") else None

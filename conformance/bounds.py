"""The request-body limit, probed over HTTP: the documents set none, the server promises one
(README "Hostile input"). A body far over any sane limit is refused before anything reads
it — before the security step too — with ``413`` in the API's envelope."""

from __future__ import annotations

from conformance.probes import Session, operations
from conformance.runner import ApiResult
from conformance.target import Target

OVERSIZED_BYTES = 8 * 1024 * 1024  # eight times the default MAX_BODY_BYTES


def body_limit(target: Target, schema, result: ApiResult) -> None:
    """The first operation with a JSON request body, sent an oversized one without credentials."""
    operation = next((op for op in operations(schema)
                      if "application/json" in op.definition.raw.get("requestBody", {}).get("content", {})), None)
    if operation is None:
        return
    session = Session(target, result, "body_limit")
    path = operation.schema.base_path.rstrip("/") + operation.path  # the limit holds before routing parameters
    response = session.call(operation.label, operation.method.upper(), path, {}, {"padding": "x" * OVERSIZED_BYTES})
    try:
        enveloped = "error" in response.json()
    except ValueError:
        enveloped = False
    if response.status_code != 413 or not enveloped:
        session.fail(operation.label, f"an {OVERSIZED_BYTES}-byte body answers {response.status_code}, "
                                      "expected 413 in the API's envelope", response)

"""The request-body limit, probed over HTTP: the documents set none, the server promises one
(README "Hostile input"). A body far over any sane limit must be ``413`` in the API's
envelope, and nothing may be stored."""

from __future__ import annotations

from conformance.isolation import Session
from conformance.runner import ApiResult
from conformance.target import Target

OVERSIZED_BYTES = 8 * 1024 * 1024  # eight times the default MAX_BODY_BYTES


def pathmode(target: Target, result: ApiResult) -> None:
    session = Session(target, result, "body_limit")
    product = next(iter(target.pm_workspace("a")["products"].values()))
    body = {"title": "Oversized probe", "objective": "Refused unread", "productId": product,
            "padding": "x" * OVERSIZED_BYTES}  # an unknown key: only its size is wrong
    before = session.call("GET /intents", "GET", "/api/v1/intents", target.pm_auth("a")).text
    response = session.call("POST /intents", "POST", "/api/v1/intents", target.pm_auth("a"), body)
    if response.status_code != 413 or not isinstance(response.json().get("error"), str):
        session.fail("POST /intents", f"an {OVERSIZED_BYTES}-byte body answers {response.status_code}, "
                                      "expected 413 in the envelope", response)
    after = session.call("GET /intents", "GET", "/api/v1/intents", target.pm_auth("a")).text
    if '"Oversized probe"' in after and '"Oversized probe"' not in before:
        session.fail("POST /intents", "an oversized body was stored", response)

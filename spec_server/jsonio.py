"""JSON in and out, in one place: orjson, with the standard library as the fallback.

Every response body of both flavours and every JSON column goes through here. orjson is
several times faster than ``json`` at both ends (on a 20-intent list, the stdlib encoder and
decoder took a third of the request). It is strict where ``json`` is lenient, so the few
values it refuses (integers beyond 64 bits, ``NaN`` read back from a column written by an
older version, keys that are not strings) take the standard library's path and answer as
before. ``Fragment`` is already-serialized JSON that ``dumps`` splices in as it is (fragments
are made by ``fragment``, which has taken the fallback itself where it had to).
"""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal

import orjson
from connexion.jsonifier import Jsonifier

Fragment = orjson.Fragment


def _default(value):
    # the types connexion's own encoder handles, rendered the same way
    if isinstance(value, datetime.datetime):
        return value.isoformat("T") if value.tzinfo else value.isoformat("T") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        pass
    try:  # keys that are not strings, as json writes them (fragments still splice here)
        return orjson.dumps(value, default=_default,
                            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # integers beyond 64 bits; a document holding one has no fragment
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default).encode()


def dumps_text(value) -> str:
    return dumps(value).decode()


def loads(text: str | bytes):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(text)  # NaN and Infinity, which json writes and orjson refuses
    except RecursionError:  # deeper than orjson's 1,024 levels
        raise UnreadableJson(f"nested deeper than {MAX_DEPTH} levels") from None


# --- request bodies ---------------------------------------------------------------------
# A body is JSON a client wrote; its values then reach validators, the store and responses.
# Two kinds of JSON that parse are refused before any of them sees it, and one is settled:

MAX_DEPTH = 32  # the documents nest 4 deep; validators and encoders recurse (~400 levels: a 500)
EXACT_INTEGERS = 2**53  # floats up to here hold every integer exactly


class UnreadableJson(ValueError):
    """JSON that parses but that no part of the server can take (the reason is ``msg``)."""

    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg


def request_value(text: str | bytes) -> tuple[object, bool]:
    """A request body's value, and whether it was settled (an integral float made an int): lone surrogates (``"\\ud800"``, which no UTF-8 encoder
    accepts) and nesting deeper than ``MAX_DEPTH`` raise ``UnreadableJson``; a number with
    an integral value (``5.0``) becomes an int, as JSON Schema 2020-12 (OpenAPI 3.1) reads it,
    so an ``integer`` field accepts it and stores and answers an integer."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = loads(text)  # raises ValueError when it is not JSON at all
        if _has_lone_surrogate(value):  # orjson refuses them, json does not
            raise UnreadableJson("text holds a lone UTF-16 surrogate (\\ud800-\\udfff)") from None
    return settle(value)


def settle(value) -> tuple[object, bool]:
    """Integral floats to ints, in place (and whether there was one); ``UnreadableJson`` past
    ``MAX_DEPTH`` levels. One walk without recursion, whatever the depth."""
    if type(value) is float:
        return _integral(value), _integral(value) is not value
    if type(value) not in (dict, list):
        return value, False
    changed = False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UnreadableJson(f"nested deeper than {MAX_DEPTH} levels")
        for key, item in (node.items() if type(node) is dict else enumerate(node)):
            kind = type(item)
            if kind is float:
                node[key] = _integral(item)
                changed = changed or node[key] is not item
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))
    return value, changed


def _integral(number: float):
    return int(number) if number.is_integer() and abs(number) <= EXACT_INTEGERS else number


def _has_lone_surrogate(value) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is str:
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif type(node) is dict:
            stack.extend(node.keys())
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return False


def fragment(value) -> Fragment:
    """``value`` serialized once, to be spliced into larger documents."""
    return Fragment(dumps(value))


class FastJsonifier(Jsonifier):
    """connexion's jsonifier interface (both flavours call it for every JSON body)."""

    def __init__(self):
        super().__init__(json)

    def dumps(self, data, **_kwargs) -> bytes:
        return dumps(data)

    def loads(self, data):
        if isinstance(data, (bytes, str)):
            try:
                return loads(data)
            except ValueError:
                return data.decode() if isinstance(data, bytes) else data  # connexion's contract
        return data


JSONIFIER = FastJsonifier()

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
        return json.loads(text)  # NaN and Infinity, which json writes and orjson refuses


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

"""spec_server.jsonio: orjson where it can, the standard library where orjson refuses."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal

import pytest

from spec_server import jsonio


def test_dumps_is_compact_utf8_json_the_standard_library_reads_back():
    value = {"title": "Café ☕", "n": [1, 2.5, None, True], "nested": {"a": ""}}
    text = jsonio.dumps(value)
    assert isinstance(text, bytes)
    assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def test_values_orjson_refuses_take_the_standard_library_path():
    huge = 2 ** 70  # beyond 64 bits
    assert json.loads(jsonio.dumps({"n": huge})) == {"n": huge}
    assert json.loads(jsonio.dumps({1: "int key"})) == {"1": "int key"}


def test_fragments_are_spliced_as_written_on_both_paths():
    piece = jsonio.fragment({"id": "x", "tags": ["a"]})
    assert jsonio.dumps({"items": [piece], "count": 1}) == b'{"items":[{"id":"x","tags":["a"]}],"count":1}'
    # the fallback for keys that are not strings still splices
    assert json.loads(jsonio.dumps({"items": [piece], 1: 2})) == {"items": [{"id": "x", "tags": ["a"]}], "1": 2}
    # a fragment of a value that needed the standard library holds that rendering
    assert json.loads(jsonio.dumps([jsonio.fragment({"n": 2 ** 70})])) == [{"n": 2 ** 70}]


def test_extra_types_render_as_connexions_encoder_renders_them():
    moment = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert json.loads(jsonio.dumps([moment, datetime.date(2026, 6, 1), Decimal("1.5"), ident])) == [
        "2026-06-01T12:00:00+00:00", "2026-06-01", 1.5, str(ident)]
    with pytest.raises(TypeError):
        jsonio.dumps(object())


def test_loads_reads_what_the_standard_library_wrote_even_nan():
    assert jsonio.loads('{"a": [1, "b"]}') == {"a": [1, "b"]}
    assert jsonio.loads(b'[1]') == [1]
    written = json.dumps({"x": float("nan")})  # older rows may hold NaN, which orjson refuses
    assert jsonio.loads(written)["x"] != jsonio.loads(written)["x"]
    with pytest.raises(json.JSONDecodeError) as raised:
        jsonio.loads('{"a": }')
    assert (raised.value.msg, raised.value.pos) == ("Expecting value", 6)  # the messages clients saw before


def test_the_jsonifier_answers_connexions_contract():
    assert jsonio.JSONIFIER.dumps({"a": 1}) == b'{"a":1}'
    assert jsonio.JSONIFIER.loads(b'{"a":1}') == {"a": 1}
    assert jsonio.JSONIFIER.loads("not json") == "not json"

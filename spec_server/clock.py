"""Wall-clock time in epoch milliseconds, in one place so tests can move it."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import overload

_offset_ms = 0


def now_ms() -> int:
    return int(time.time() * 1000) + _offset_ms


def advance(seconds: float) -> None:
    """Move the clock forward (tests of sliding windows, expiry)."""
    global _offset_ms
    _offset_ms += int(seconds * 1000)


def reset() -> None:
    global _offset_ms
    _offset_ms = 0


@overload
def iso(ms: int) -> str: ...
@overload
def iso(ms: None) -> None: ...
@overload
def iso(ms: int | None) -> str | None: ...
def iso(ms: int | None) -> str | None:
    """``2026-06-01T12:00:00.000Z``, the shape both documents' examples use (a timestamp the
    store may lack reads as null: the overloads tell the type checker which is which)."""
    if ms is None:
        return None
    seconds, millis = divmod(ms, 1000)
    return f"{_iso_seconds(seconds)}.{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    # lists render the same few timestamps over and over; formatting one costs microseconds
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def parse_iso(text: str) -> int:
    """Epoch ms of an ISO 8601 timestamp; ValueError when it is not one."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)

"""spec_server.ratelimit: one admission statement per request, expired rows cleaned up now and then."""

from __future__ import annotations

import pytest

from spec_server import clock, ratelimit
from spec_server.errors import RateLimited
from spec_server.store import RateEvent


@pytest.fixture
def window(database, settings, monkeypatch):
    """A 3-per-10-seconds bucket and a clock the test moves."""
    settings.rate_limits["intents"] = (3, 10)
    now = {"ms": 1_000_000}
    monkeypatch.setattr(clock, "now_ms", lambda: now["ms"])
    with database.connection_context():
        yield now


def rows(key="user:a"):
    return sorted(event.at for event in RateEvent.select().where(RateEvent.key == key))


def test_admits_the_limit_then_refuses_without_counting_the_refusal(window):
    for _ in range(3):
        ratelimit.hit("intents", "user:a")
        window["ms"] += 1000
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("intents", "user:a")
    assert rows() == [1_000_000, 1_001_000, 1_002_000]  # the refused request left no row
    # the oldest of the three leaves the window at 1_010_000: 7 s after "now" (1_003_000)
    assert refused.value.headers["Retry-After"] == "7"
    ratelimit.hit("intents", "user:b")  # another key has its own window
    assert rows("user:b") == [1_003_000]


def test_a_request_fits_again_once_the_oldest_left_the_window(window):
    for _ in range(3):
        ratelimit.hit("intents", "user:a")
    window["ms"] += 10_000  # the three now sit exactly on the window's edge: outside it
    ratelimit.hit("intents", "user:a")
    assert len(rows()) in (1, 4)  # admitted; expired rows may or may not be gone yet


def test_expired_rows_are_deleted_by_a_later_admission(window, monkeypatch):
    for _ in range(3):
        ratelimit.hit("intents", "user:a")
    window["ms"] += 20_000
    monkeypatch.setattr(ratelimit, "CLEANUP_ONE_IN", 1)  # clean up at every admission
    ratelimit.hit("intents", "user:a")
    assert rows() == [1_020_000]


def test_a_limit_of_zero_refuses_with_the_whole_window(window, settings):
    settings.rate_limits["intents"] = (0, 60)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("intents", "user:a")
    assert refused.value.headers["Retry-After"] == "60" and rows() == []


def test_a_clock_that_goes_back_does_not_reorder_the_window(window):
    """Workers on several machines: one whose clock is behind records its admission at the
    newest's time, so admission order and time order stay the same."""
    ratelimit.hit("intents", "user:a")
    window["ms"] -= 500
    ratelimit.hit("intents", "user:a")
    events = [(e.at, e.seq) for e in RateEvent.select().where(RateEvent.key == "user:a").order_by(RateEvent.seq)]
    assert events == [(1_000_000, 1), (1_000_000, 2)]


def test_a_full_window_of_many_requests_is_measured_exactly(window, settings):
    settings.rate_limits["intents"] = (1000, 10)
    RateEvent.insert_many([{"bucket": "intents", "key": "user:a", "at": 999_000 + i, "seq": i + 1}
                           for i in range(1000)]).execute()
    with pytest.raises(RateLimited):
        ratelimit.hit("intents", "user:a")  # 1000 in the window
    settings.rate_limits["intents"] = (1001, 10)
    ratelimit.hit("intents", "user:a")
    assert RateEvent.select().where(RateEvent.seq == 1001).get().at == 1_000_000


def test_the_numbers_are_the_documents_own_unless_configuration_overrides_them(settings):
    """Every bucket's limit comes from the generated table (x-rateLimit) or the API's own
    table; RATE_LIMITS overrides a bucket by name, and ``*`` every bucket it does not name."""
    from generated.pathmode.operations import BY_ID

    documented = BY_ID["get_api-keys"].rate_limit
    assert ratelimit.limit_of(documented.bucket) == (documented.requests, documented.window_seconds)
    settings.rate_limits["*"] = (7, 60)
    settings.rate_limits[documented.bucket] = (2, 10)
    assert ratelimit.limit_of(documented.bucket) == (2, 10)
    assert {ratelimit.limit_of(bucket) for bucket in ratelimit.buckets() if bucket != documented.bucket} == {(7, 60)}

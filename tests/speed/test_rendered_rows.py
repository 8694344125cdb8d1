"""spec_server.revisions.RenderedRows: list items kept per (id, revision, ...) in one worker."""

from __future__ import annotations

from spec_server.revisions import SKIPPED, RenderedRows


def reader(rows: dict, reads: list):
    def read_missing(keys):
        reads.append([key[0] for key in keys])
        return {key[0]: rows[key[0]] for key in keys if key[0] in rows}

    return read_missing


def test_only_keys_not_held_are_read_and_a_new_revision_is_a_new_key():
    rows, reads = {"a": (0, "A0"), "b": (0, "B0")}, []
    cache = RenderedRows()

    def render(row, key):
        return f"<{row}>"

    assert cache.items([("a", 0, ()), ("b", 0, ())], reader(rows, reads), render) == ["<A0>", "<B0>"]
    assert cache.items([("a", 0, ()), ("b", 0, ())], reader(rows, reads), render) == ["<A0>", "<B0>"]
    rows["a"] = (1, "A1")
    assert cache.items([("a", 1, ()), ("b", 0, ())], reader(rows, reads), render) == ["<A1>", "<B0>"]
    assert reads == [["a", "b"], ["a"]]


def test_a_row_deleted_or_skipped_is_left_out_and_a_skipped_one_is_not_read_again():
    rows, reads, rendered = {"a": (0, "A"), "bad": (0, "?")}, [], []
    cache = RenderedRows()

    def render(row, key):
        rendered.append(key[0])
        return SKIPPED if row == "?" else row

    keys = [("a", 0, ()), ("bad", 0, ()), ("gone", 0, ())]
    assert cache.items(keys, reader(rows, reads), render) == ["A"]
    assert cache.items(keys[:2], reader(rows, reads), render) == ["A"]
    assert rendered == ["a", "bad"]
    assert reads == [["a", "bad", "gone"]]


def test_a_row_read_at_a_later_revision_is_shown_and_kept_under_that_revision():
    rows, reads = {"a": (3, "A3")}, []  # updated between the list's statement and the read
    cache = RenderedRows()
    assert cache.items([("a", 2, ())], reader(rows, reads), lambda row, key: row) == ["A3"]
    assert cache.items([("a", 3, ())], reader(rows, reads), lambda row, key: row) == ["A3"]
    assert cache.items([("a", 2, ())], reader(rows, reads), lambda row, key: row) == ["A3"]
    assert reads == [["a"], ["a"]]  # revision 2 was never kept: its content was not what was read


def test_past_its_size_the_least_recently_listed_go_first():
    rows = {name: (0, name) for name in "abc"}
    reads: list = []
    cache = RenderedRows(size=2)
    read_missing = reader(rows, reads)
    cache.items([("a", 0, ()), ("b", 0, ())], read_missing, lambda row, key: row)
    cache.items([("a", 0, ())], read_missing, lambda row, key: row)  # a is now the most recent
    cache.items([("c", 0, ())], read_missing, lambda row, key: row)  # b goes
    cache.items([("a", 0, ()), ("b", 0, ())], read_missing, lambda row, key: row)
    assert reads == [["a", "b"], ["c"], ["b"]]

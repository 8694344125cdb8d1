"""The behaviour checks' own rules: each cites what it proves, citations name sections that
exist, the shared assertions say what they should, and the documented limits the plugins
copy are the documents' (README, docs/behaviour.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import behaviour, plugin

ROOT = Path(__file__).resolve().parents[1]
CHECKS = [(api.name, check) for api in plugin.served() for check in api.behaviour_checks()]


def headings(path: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#")}


def test_every_api_has_behaviour_checks_of_every_kind():
    kinds = {api: {behaviour.kind(check) for name, check in CHECKS if name == api} for api, _ in CHECKS}
    for api, found in kinds.items():
        assert {"ordering", "idempotence", "list_isolation", "paging", "handler_roles", "states",
                "limits"} <= found, api
        assert any(kind.startswith("write_read") for kind in found), api


@pytest.mark.parametrize("api,check", CHECKS, ids=[f"{api}.{check.__name__}" for api, check in CHECKS])
def test_each_check_cites_what_it_proves(api, check):
    cited = behaviour.citations(check)
    assert cited, f"{check.__name__}: the first docstring line names no clause id or documented section"
    docs, readme = headings(ROOT / "docs" / "behaviour.md"), headings(ROOT / "README.md")
    for citation in cited:
        section = re.fullmatch(r'(docs/behaviour\.md|README) "(.+)"', citation)
        if section:
            assert section[2] in (docs if section[1].startswith("docs") else readme), citation
        else:
            assert api == "pathmode" and re.fullmatch(r"PM-[A-Z-]+-\d+", citation), citation


def test_order_helpers():
    assert behaviour.out_of_order([1, 2, 2, 3], key=lambda x: x) is None
    assert behaviour.out_of_order([3, 1, 2], key=lambda x: x, descending=True) == 2
    assert behaviour.in_relative_order(["a", "x", "b", "c"], ["a", "b", "c"])
    assert not behaviour.in_relative_order(["b", "a"], ["a", "b"])
    assert not behaviour.in_relative_order(["a"], ["a", "b"])  # a missing item breaks the order


def test_page_and_leak_helpers():
    assert behaviour.page(list(range(5)), 3, 4) == [3, 4]  # min(limit, remaining)
    assert behaviour.page(list(range(5)), 5, 2) == []
    assert behaviour.leaks('{"id": "b-1", "name": "x"}', {"B's id": "b-1", "B's name": "y", "empty": ""}) == ["B's id"]


def _table(path: Path, header: str) -> list[list[str]]:
    """The rows of the markdown table that starts with ``header``."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _number(cell: str):
    return None if cell == "unlimited" else int(cell.replace(",", ""))


def test_pathmode_plan_limits_are_the_readmes():
    from handlers.pathmode._conformance.limits import DOCUMENTED_PLAN_LIMITS

    rows = _table(ROOT / "README.md", "| plan | intents | evidence_items | api_keys |")
    assert {row[0]: {"intents": _number(row[1]), "evidence_items": _number(row[2]), "api_keys": _number(row[3])}
            for row in rows} == DOCUMENTED_PLAN_LIMITS


def test_backlex_limits_are_the_documents():
    from handlers.backlex._conformance import limits, paging

    free = next(row for row in _table(ROOT / "README.md", "| plan | projects | members |") if row[0] == "free")
    assert {"projects": _number(free[1]), "members": _number(free[2])} == limits.FREE_PLAN
    docs = (ROOT / "docs" / "behaviour.md").read_text()
    assert re.search(r"`invitations` bucket, (\d+) per hour per org", docs)[1] == str(limits.RATE_LIMITS["invitations"])
    assert re.search(r"`tokenMinting`, (\d+) per hour per org", docs)[1] == str(limits.RATE_LIMITS["tokenMinting"])
    audit = re.search(r"\*\*Audit\*\*.*?`limit` 1–(\d+) \(default (\d+)\)", docs, re.S)
    assert (int(audit[1]), int(audit[2])) == (paging.AUDIT_LIMITS["maximum"], paging.AUDIT_LIMITS["default"])
    notifications = re.search(r"newest first, `limit` 1–(\d+)\s+\(default (\d+);", docs)
    assert (int(notifications[1]), int(notifications[2])) == (paging.NOTIFICATION_LIMITS["maximum"],
                                                              paging.NOTIFICATION_LIMITS["default"])

"""Paging: ``limit``/``offset`` give ``min(limit, remaining)`` items, with the documented
defaults and cap, and ``count`` the total before paging."""

from __future__ import annotations

import re

from conformance.behaviour import Skip, page

API = "/api/v1"


def _documented(probe, name: str) -> str:
    parameters = probe.schema.raw_schema["paths"]["/evidence"]["get"].get("parameters", [])
    return next((p.get("description", "") for p in parameters if p.get("name") == name), "")


def check_evidence_pages(probe):
    """PM-EVIDENCE-LIST-11, PM-EVIDENCE-LIST-12, PM-EVIDENCE-LIST-13, PM-EVIDENCE-LIST-14, PM-EVIDENCE-LIST-15: "Page size, default 50, capped at 200", "offset, default 0", count before paging.

    The default and the cap are read from the parameter's description; one item more than the
    default is created under a marker only this run uses. Below 1 is the default, a negative
    offset is 0, fractions are dropped (docs/behaviour.md "Pathmode — evidence")."""
    default = re.search(r"default (\d+)", _documented(probe, "limit"))
    cap = re.search(r"capped at (\d+)", _documented(probe, "limit"))
    if not default or not cap:
        raise Skip("the limit parameter's description no longer states its default and cap")
    default, cap = int(default[1]), int(cap[1])
    marker = probe.marker("page")
    for n in range(default + 1):
        probe.new_evidence(content=f"Paged {marker} {n}", tags=[marker] if n % 2 else [marker, "odd"])
    total = default + 1

    def listed(**params):
        response = probe.call("GET", f"{API}/evidence", probe.auth(), params={"search": marker, **params})
        body = probe.json(response)
        return response, body, [item["id"] for item in body.get("evidence", [])]

    everything = listed(limit=cap)
    full = everything[2]
    probe.expect(len(full) == total and everything[1].get("count") == total and everything[1].get("limit") == cap,
                 f"limit={cap} (the documented cap) does not list all {total} items with count {total}", everything[0])
    cases = [({}, default, 0), ({"limit": 1}, 1, 0), ({"limit": 2, "offset": 2}, 2, 2),
             ({"limit": 7, "offset": total - 2}, 7, total - 2), ({"limit": 5, "offset": total}, 5, total),
             ({"limit": cap + 1}, cap, 0), ({"limit": 0}, default, 0), ({"limit": 3, "offset": -1}, 3, 0),
             ({"limit": 2.9, "offset": 1.5}, 2, 1)]
    for params, limit, offset in cases:
        response, body, ids = listed(**params)
        probe.expect(ids == page(full, offset, limit),
                     f"{params or 'no limit or offset'}: {len(ids)} items, expected items {offset}..{offset + limit} "
                     f"of {total} ({len(page(full, offset, limit))})", response)
        probe.expect((body.get("count"), body.get("limit"), body.get("offset")) == (total, limit, offset),
                     f"{params or 'no limit or offset'}: count/limit/offset {body.get('count')}/{body.get('limit')}/"
                     f"{body.get('offset')}, expected {total}/{limit}/{offset}", response)
    # the tags filter pages the same way (items tagged with the marker: all of them)
    tagged = probe.call("GET", f"{API}/evidence", probe.auth(), params={"tags": marker, "limit": 2, "offset": 2})
    body = probe.json(tagged)
    probe.expect([item["id"] for item in body.get("evidence", [])] == page(full, 2, 2) and body.get("count") == total,
                 "?tags= pages differently from the unfiltered list, or counts otherwise", tagged)
    both = probe.call("GET", f"{API}/evidence", probe.auth(), params={"tags": f"{marker},odd", "limit": cap})
    probe.expect(probe.json(both).get("count") == (total + 1) // 2,
                 "?tags=a,b does not keep exactly the items holding both tags", both)

"""Paging: ``limit``/``offset`` give ``min(limit, remaining)`` items, the documented default,
and the boundaries docs/behaviour.md writes in prose accepted and refused as written."""

from __future__ import annotations

from conformance.behaviour import page

API = "/api"
# docs/behaviour.md "backlex — Organization": audit "`limit` 1–200 (default 50); `offset` ≥ 0";
# "backlex — Integrations (notifications)": "`limit` 1–100 (default 50; malformed `422`)".
# tests/test_documented_limits.py compares these with the document.
AUDIT_LIMITS = {"default": 50, "maximum": 200}
NOTIFICATION_LIMITS = {"default": 50, "maximum": 100}


def _refused(probe, response, field: str, what: str) -> None:
    error = probe.json(response).get("error") or {}
    probe.expect(response.status_code == 422 and error.get("code") == "VALIDATION"
                 and field in ((error.get("details") or {}).get("fieldErrors") or {}),
                 f"{what}: {response.status_code}, expected 422 VALIDATION naming {field}", response)


def check_audit_pages(probe):
    """docs/behaviour.md "backlex — Organization" (Audit): "`limit` 1–200 (default 50); `offset` ≥ 0", newest first; a malformed value 422.

    A fresh org gets two events more than the default page (renames), so the default, the
    maximum (200 accepted, 201 refused), 0, and pages at every edge can be seen."""
    org = probe.new_org()
    slug = org["slug"]
    for n in range(AUDIT_LIMITS["default"] + 1):
        probe.require(probe.call("PATCH", f"{API}/org/{slug}", probe.auth(), {"name": f"Paged {n}"}), 200, "rename")
    total = AUDIT_LIMITS["default"] + 2  # the renames and org.created

    def events(**params):
        response = probe.call("GET", f"{API}/org/{slug}/audit", probe.auth(), params=params)
        return response, [e.get("id") for e in probe.json(response).get("events", [])]

    everything, full = events(limit=str(AUDIT_LIMITS["maximum"]))
    probe.expect(everything.status_code == 200 and len(full) == total,
                 f"limit={AUDIT_LIMITS['maximum']} (the documented maximum): {everything.status_code}, {len(full)} "
                 f"events, expected all {total}", everything)
    for params, limit, offset in (({}, AUDIT_LIMITS["default"], 0), ({"limit": "1"}, 1, 0),
                                  ({"limit": "2", "offset": "1"}, 2, 1), ({"limit": "5", "offset": str(total - 1)}, 5, total - 1),
                                  ({"offset": str(total)}, AUDIT_LIMITS["default"], total)):
        response, ids = events(**params)
        probe.expect(response.status_code == 200 and ids == page(full, offset, limit),
                     f"{params or 'no limit or offset'}: {len(ids)} events, expected events {offset}.."
                     f"{offset + limit} of {total}", response)
    for value in (str(AUDIT_LIMITS["maximum"] + 1), "0", "ten", "-1"):
        _refused(probe, events(limit=value)[0], "limit", f"limit={value}")
    _refused(probe, events(offset="-1")[0], "offset", "offset=-1")


def check_notification_limit_bounds(probe):
    """docs/behaviour.md "backlex — Integrations (notifications)": "`limit` 1–100 (default 50; malformed `422`)"."""
    path = f"{API}/org/{probe.org()}/notifications"
    highest = probe.call("GET", path, probe.auth(), params={"limit": str(NOTIFICATION_LIMITS["maximum"])})
    probe.expect_status(highest, 200, f"limit={NOTIFICATION_LIMITS['maximum']} (the documented maximum)")
    one = probe.call("GET", path, probe.auth(), params={"limit": "1"})
    probe.expect(one.status_code == 200 and len(probe.json(one).get("notifications", [])) <= 1, "limit=1", one)
    for value in (str(NOTIFICATION_LIMITS["maximum"] + 1), "0", "many"):
        _refused(probe, probe.call("GET", path, probe.auth(), params={"limit": value}), "limit", f"limit={value}")

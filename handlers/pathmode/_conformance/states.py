"""An intent's status: every transition is allowed, and each sets or clears its timestamps as
documented; content edits never touch them."""

from __future__ import annotations

API = "/api/v1"
BASE_KEYS = {"id", "status", "updatedAt", "shippedAt", "verifiedAt"}


def check_status_timestamps(probe):
    """PM-INTENT-STATUS-1, PM-INTENT-STATUS-3, PM-INTENT-STATUS-4, PM-INTENT-STATUS-5, PM-INTENT-STATUS-6, PM-INTENT-STATUS-7, PM-INTENT-PATCH-3: shipped sets shippedAt and clears verifiedAt; verified sets verifiedAt; draft/validated/approved clear both.

    draft → shipped → verified → shipped → verified → approved → validated → draft; after each
    step GET agrees with the answer, and a content PATCH on a verified intent keeps both."""
    intent = probe.new_intent()["id"]
    shipped_at = None
    for status in ("shipped", "verified", "shipped", "verified"):
        answer = probe.call("PATCH", f"{API}/intents/{intent}/status", probe.auth(), {"status": status})
        body = probe.require(answer, 200, f"move to {status}")
        probe.expect(set(body) == BASE_KEYS | {"verificationChecklist", "verificationChecklistCount"},
                     f"{status}: keys {sorted(body)}", answer)
        if status == "shipped":
            probe.expect(body.get("shippedAt") is not None and body.get("verifiedAt") is None,
                         "shipped: shippedAt not set or verifiedAt not cleared", answer)
            shipped_at = body.get("shippedAt")
        else:
            probe.expect(body.get("verifiedAt") is not None and body.get("shippedAt") == shipped_at,
                         "verified: verifiedAt not set, or shippedAt changed", answer)
        shown = probe.json(probe.call("GET", f"{API}/intents/{intent}", probe.auth()))
        probe.expect((shown.get("status"), shown.get("shippedAt"), shown.get("verifiedAt"))
                     == (status, body.get("shippedAt"), body.get("verifiedAt")),
                     f"GET disagrees with the {status} answer", probe.last)
    before = probe.json(probe.call("GET", f"{API}/intents/{intent}", probe.auth()))
    edited = probe.json(probe.call("PATCH", f"{API}/intents/{intent}", probe.auth(), {"title": f"Edited {probe.marker()}"}))
    probe.expect((edited.get("status"), edited.get("shippedAt"), edited.get("verifiedAt"))
                 == (before.get("status"), before.get("shippedAt"), before.get("verifiedAt")),
                 "a content PATCH changed the status or its timestamps", probe.last)
    for status in ("approved", "validated", "draft"):
        answer = probe.call("PATCH", f"{API}/intents/{intent}/status", probe.auth(), {"status": status})
        body = probe.require(answer, 200, f"move to {status}")
        probe.expect(set(body) == BASE_KEYS, f"{status}: keys {sorted(body)}, expected exactly {sorted(BASE_KEYS)}",
                     answer)
        probe.expect(body.get("shippedAt") is None and body.get("verifiedAt") is None,
                     f"{status}: shippedAt and verifiedAt not cleared", answer)

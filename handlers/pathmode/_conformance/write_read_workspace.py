"""Write, then read back: evidence items and their links, outcome measurements, API keys."""

from __future__ import annotations

import re

API = "/api/v1"
NO_SUCH_ID = "00000000-0000-4000-8000-000000000000"
KEY_PATTERN = re.compile(r"^pm_live_[0-9a-f]{64}$")
EVIDENCE_KEYS = {"id", "productId", "workspaceId", "type", "content", "source", "sourceUrl", "severity", "sentiment",
                 "tags", "stage", "linkedIntentIds", "createdAt", "updatedAt"}


def check_evidence_trimmed_with_defaults(probe):
    """PM-EVIDENCE-CREATE-1, PM-EVIDENCE-CREATE-2, PM-EVIDENCE-CREATE-4, PM-EVIDENCE-CREATE-8, PM-EVIDENCE-CREATE-11, PM-EVIDENCE-CREATE-12, PM-EVIDENCE-CREATE-13, PM-EVIDENCE-LIST-16: content trimmed, omitted fields null, tags and linkedIntentIds [], listed as created."""
    marker = probe.marker()
    answer = probe.call("POST", f"{API}/evidence", probe.auth(),
                        {"content": f"  Users abandon checkout {marker}  ", "type": "friction", "productId": probe.product()})
    item = probe.require(answer, 201, "create an evidence item")
    probe.expect(set(item) == EVIDENCE_KEYS, f"keys {sorted(item)}", answer)
    expected = {"content": f"Users abandon checkout {marker}", "workspaceId": probe.workspace_id(),
                "productId": probe.product(), "source": None, "sourceUrl": None, "severity": None, "sentiment": None,
                "stage": None, "tags": [], "linkedIntentIds": []}
    for field, value in expected.items():
        probe.expect(item.get(field) == value, f"{field} is {item.get(field)!r}, expected {value!r}", answer)
    listed = probe.call("GET", f"{API}/evidence", probe.auth(), params={"search": marker})
    probe.expect(probe.json(listed).get("evidence") == [item], "the list does not show the item as created", listed)


def check_links_agree_on_both_sides(probe):
    """PM-EVIDENCE-LINK-1, PM-EVIDENCE-LINK-2, PM-EVIDENCE-LINK-3, PM-EVIDENCE-LINK-4, PM-EVIDENCE-LINK-5, PM-EVIDENCE-LINK-6, PM-EVIDENCE-LINK-7: counts of what changed, evidenceIds all linked, unknown ids skipped, both views agree."""
    intent = probe.new_intent()["id"]
    marker = probe.marker()
    first, second = (probe.new_evidence(content=f"Linked {marker} {n}")["id"] for n in range(2))
    path = f"{API}/intents/{intent}/evidence"

    def link(body, linked, unlinked, ids, what):
        answer = probe.call("POST", path, probe.auth(), body)
        got = probe.json(answer)
        probe.expect((answer.status_code, got.get("linked"), got.get("unlinked"), got.get("evidenceIds"), got.get("intentId"))
                     == (200, linked, unlinked, ids, intent),
                     f"{what}: {answer.status_code} linked {got.get('linked')} unlinked {got.get('unlinked')} "
                     f"evidenceIds {got.get('evidenceIds')}, expected {linked}/{unlinked}/{ids}", answer)

    def views(ids, what):
        shown = probe.json(probe.call("GET", f"{API}/intents/{intent}", probe.auth())).get("evidenceIds")
        probe.expect(shown == ids, f"{what}: the intent shows evidenceIds {shown}, expected {ids}", probe.last)
        items = probe.json(probe.call("GET", f"{API}/evidence", probe.auth(), params={"search": marker}))
        linked = sorted(item["id"] for item in items.get("evidence", []) if intent in item.get("linkedIntentIds", []))
        probe.expect(linked == sorted(ids), f"{what}: the items list {linked} as linked, expected {sorted(ids)}",
                     probe.last)

    link({"link": [first]}, 1, 0, [first], "link the first")
    views([first], "after linking the first")
    link({"link": [second, NO_SUCH_ID]}, 1, 0, [first, second], "link the second and an unknown id")
    link({"unlink": [NO_SUCH_ID]}, 0, 0, [first, second], "unlink an unknown id")
    link({"link": [second], "unlink": [first]}, 1, 1, [second], "link the second again, unlink the first")
    views([second], "after unlinking the first")


def check_measurements_read_back_as_documented(probe):
    """PM-OUTCOMES-CREATE-1, PM-OUTCOMES-CREATE-2, PM-OUTCOMES-CREATE-5, PM-OUTCOMES-CREATE-7, PM-OUTCOMES-CREATE-8, PM-OUTCOMES-CREATE-9, PM-OUTCOMES-CREATE-10, PM-OUTCOMES-CREATE-11, PM-OUTCOMES-CREATE-12, PM-OUTCOMES-CREATE-13, PM-OUTCOMES-LIST-7: trimmed, falsy to null, met false kept, source 'manual', recordedBy the session's user."""
    intent = probe.new_intent()["id"]
    path = f"{API}/intents/{intent}/outcomes"
    sent = {"outcomeIndex": 0, "outcomeText": "  Reset completion rate  ", "actualValue": " 68% ", "baselineValue": "",
            "unit": "", "met": False, "source": "", "recordedBy": NO_SUCH_ID}
    answer = probe.call("POST", path, probe.cookie(), sent)
    made = probe.require(answer, 201, "record a measurement")
    expected = {"intentId": intent, "outcomeIndex": 0, "outcomeText": "Reset completion rate", "actualValue": "68%",
                "baselineValue": None, "unit": None, "met": False, "source": "manual", "recordedBy": probe.user_id()}
    for field, value in expected.items():
        probe.expect(made.get(field) == value, f"{field} is {made.get(field)!r}, expected {value!r}", answer)
    bare = probe.json(probe.call("POST", path, probe.cookie(),
                                 {"outcomeIndex": 1, "outcomeText": "Tickets", "actualValue": "12", "source": "analytics"}))
    probe.expect((bare.get("met"), bare.get("source")) == (None, "analytics"),
                 f"met/source {bare.get('met')!r}/{bare.get('source')!r}, expected None/'analytics'", probe.last)
    listed = probe.json(probe.call("GET", path, probe.cookie())).get("measurements", [])
    probe.expect(listed == [made, bare], "the list does not show the measurements as recorded", probe.last)


def check_key_defaults_and_prefix(probe):
    """PM-KEYS-CREATE-1, PM-KEYS-CREATE-2, PM-KEYS-CREATE-3, PM-KEYS-CREATE-4, PM-KEYS-CREATE-5, PM-KEYS-CREATE-6, PM-KEYS-CREATE-9, PM-KEYS-LIST-2: scopes default to read and write, the secret shown once, keyPrefix its first 16 characters, and it works."""
    made = probe.new_key()
    try:
        secret = made.get("key", "")
        probe.expect(bool(KEY_PATTERN.match(secret)), f"key {secret[:12]}... is not pm_live_ + 64 hex", probe.last)
        probe.expect(made.get("scopes") == ["read", "write"], f"default scopes {made.get('scopes')}", probe.last)
        probe.expect(made.get("keyPrefix") == secret[:16], "keyPrefix is not the key's first 16 characters", probe.last)
        probe.expect(made.get("message") == "Save this key now. It cannot be retrieved again.", "the message", probe.last)
        listed = probe.call("GET", f"{API}/api-keys", probe.cookie())
        shown = next((k for k in probe.json(listed).get("keys", []) if k.get("id") == made.get("id")), None)
        probe.expect(shown is not None and "key" not in shown and secret not in listed.text
                     and shown.get("keyPrefix") == made.get("keyPrefix") and shown.get("scopes") == ["read", "write"],
                     "the list does not show the key by its prefix alone", listed)
        used = probe.call("POST", f"{API}/intents", probe.bearer(secret),
                          {"title": "Written with a new key", "objective": "Keys read and write by default",
                           "productId": probe.product()})
        probe.expect_status(used, 201, "the new key (default scopes) writes an intent")
    finally:
        probe.delete_key(made.get("id", NO_SUCH_ID))

"""Pathmode lists come back in the order their descriptions state, ties included."""

from __future__ import annotations

from conformance.behaviour import in_relative_order, out_of_order

API = "/api/v1"


def check_intents_most_recently_updated_first(probe):
    """PM-INTENTS-LIST-5: "ordered by updated_at descending"; ties by id (docs/behaviour.md "Pathmode — intents").

    Three intents created in order, then the first one edited: the list shows it first, then
    the third, then the second, and the whole list is in (updatedAt desc, id) order."""
    first, second, third = (_after_tick(probe, probe.new_intent)["id"] for _ in range(3))
    probe.tick()
    edited = probe.call("PATCH", f"{API}/intents/{first}", probe.auth(), {"title": f"Edited {probe.marker()}"})
    probe.require(edited, 200, "edit the first intent")
    listing = probe.call("GET", f"{API}/intents", probe.auth())
    intents = probe.json(listing).get("intents", [])
    ids = [intent["id"] for intent in intents]
    probe.expect(in_relative_order(ids, [first, third, second]),
                 "the edited intent first, then the newest: not in updatedAt-descending order", listing)
    broken = out_of_order(intents, key=lambda i: (_negated(i["updatedAt"]), i["id"]))
    probe.expect(broken is None, f"item {broken} breaks the (updatedAt desc, id) order", listing)


def check_notes_newest_first(probe):
    """PM-NOTES-LIST-3: "Default order: created_at descending (newest first)"."""
    intent = probe.new_intent()["id"]
    written = []
    for n in range(3):
        note = probe.call("POST", f"{API}/intents/{intent}/notes", probe.auth(), {"note": f"Note {n}"})
        written.append(probe.require(note, 201, "write a note")["id"])
    listing = probe.call("GET", f"{API}/intents/{intent}/notes", probe.auth())
    notes = probe.json(listing).get("notes", [])
    probe.expect([note["id"] for note in notes] == written[::-1], "notes not newest first", listing)
    broken = out_of_order(notes, key=lambda n: n["createdAt"], descending=True)
    probe.expect(broken is None, f"note {broken} is newer than the one before it", listing)


def check_evidence_newest_first(probe):
    """PM-EVIDENCE-LIST-3: "Default sort created_at DESC"; ties by id (docs/behaviour.md "Pathmode — evidence")."""
    marker = probe.marker("order")
    made = [_after_tick(probe, probe.new_evidence, content=f"Checkout {marker} {n}")["id"] for n in range(3)]
    listing = probe.call("GET", f"{API}/evidence", probe.auth(), params={"search": marker})
    shown = [item["id"] for item in probe.json(listing).get("evidence", [])]
    probe.expect(shown == made[::-1], f"evidence not newest first: {shown} for {made[::-1]}", listing)


def check_outcome_measurements_by_index_then_newest(probe):
    """PM-OUTCOMES-LIST-2: "Default sort: outcome_index ascending, then measured_at descending"."""
    intent = probe.new_intent()["id"]
    recorded = []
    for index in (1, 0, 0):
        body = {"outcomeIndex": index, "outcomeText": "Reset completion rate", "actualValue": f"{60 + len(recorded)}%"}
        answer = probe.call("POST", f"{API}/intents/{intent}/outcomes", probe.cookie(), body)
        recorded.append(probe.require(answer, 201, "record a measurement")["id"])
    listing = probe.call("GET", f"{API}/intents/{intent}/outcomes", probe.cookie())
    shown = [m["id"] for m in probe.json(listing).get("measurements", [])]
    expected = [recorded[2], recorded[1], recorded[0]]  # index 0 newest first, then index 1
    probe.expect(shown == expected, f"measurements {shown}, expected {expected}", listing)


def check_api_keys_newest_first(probe):
    """PM-KEYS-LIST-3: "sorted created_at DESC"."""
    made = [probe.new_key("b")["id"] for _ in range(2)]
    try:
        listing = probe.call("GET", f"{API}/api-keys", probe.cookie("b"))
        keys = probe.json(listing).get("keys", [])
        shown = [key["id"] for key in keys]
        probe.expect(in_relative_order(shown, made[::-1]), "the newer key is not listed first", listing)
        broken = out_of_order(keys, key=lambda k: k["createdAt"], descending=True)
        probe.expect(broken is None, f"key {broken} is newer than the one before it", listing)
    finally:
        for key_id in made:
            probe.delete_key(key_id, "b")


def check_products_oldest_first_rules_newest_first(probe):
    """PM-WORKSPACE-5, PM-WORKSPACE-9, PM-CONSTITUTION-3: products "sorted created_at ASC", rules "sorted created_at DESC".

    Needs two seeded products and two rules (the suite's seed has them)."""
    workspace = probe.json(probe.call("GET", f"{API}/workspace", probe.auth()))
    products, rules = workspace.get("products", []), workspace.get("constitutionRules", [])
    probe.expect(len(products) >= 2 and out_of_order(products, key=lambda p: (p["createdAt"], p["id"])) is None,
                 "products not oldest first (or fewer than two to compare)")
    probe.expect(len(rules) >= 2 and out_of_order(rules, key=lambda r: r["createdAt"], descending=True) is None,
                 "workspace constitution rules not newest first (or fewer than two to compare)")
    constitution = probe.call("GET", f"{API}/workspace/constitution", probe.auth())
    listed = [rule["id"] for rule in probe.json(constitution).get("rules", [])]
    probe.expect(listed == [rule["id"] for rule in rules],
                 "GET /workspace/constitution lists the rules in another order than GET /workspace", constitution)


def check_findings_in_recording_order(probe):
    """PM-FINDINGS-CREATE-8: "prior findings are preserved", listed in recording order (docs/behaviour.md "Pathmode — findings")."""
    intent = probe.new_intent()["id"]
    made = []
    for n in range(3):
        body = {"assumption": f"Assumed {n}", "finding": f"Found {n}"}
        answer = probe.call("POST", f"{API}/intents/{intent}/findings", probe.auth(), body)
        made.append(probe.require(answer, 201, "record a finding")["finding"]["id"])
    listing = probe.call("GET", f"{API}/intents/{intent}/findings", probe.auth())
    findings = probe.json(listing).get("findings", [])
    probe.expect([f["id"] for f in findings] == made, "findings not in recording order (or one lost)", listing)
    probe.expect(out_of_order(findings, key=lambda f: f["recordedAt"]) is None,
                 "recordedAt does not increase along the list", listing)


def check_verification_checklist_order(probe):
    """PM-INTENT-STATUS-8, PM-INTENT-STATUS-9, PM-INTENT-STATUS-10, PM-INTENT-STATUS-11: outcomes, health metrics, manual checks, then active rules.

    The rules come newest first, as the constitution lists them (docs/behaviour.md "Pathmode — intents")."""
    intent = probe.new_intent(outcomes=["Outcome T"], healthMetrics=["activation_rate"],
                              verification={"manualChecks": ["Manual M"]})["id"]
    shipped = probe.call("PATCH", f"{API}/intents/{intent}/status", probe.auth(), {"status": "shipped"})
    body = probe.require(shipped, 200, "ship the intent")
    rules = probe.json(probe.call("GET", f"{API}/workspace/constitution", probe.auth())).get("rules", [])
    expected = ([{"text": "Outcome T", "category": "outcome"}, {"text": "activation_rate", "category": "health_metric"},
                 {"text": "Manual M", "category": "manual_check"}]
                + [{"text": rule["text"], "category": "constitution"} for rule in rules])
    checklist = body.get("verificationChecklist")
    probe.expect(checklist == expected, f"checklist {checklist}, expected {expected}", shipped)
    probe.expect(body.get("verificationChecklistCount") == len(checklist or []),
                 "verificationChecklistCount is not the checklist's length", shipped)


def check_export_lists_most_recently_updated_first(probe):
    """PM-EXPORT-21: "sorted updated_at DESC" (the claude-md body)."""
    older = probe.new_intent(title=f"Older intent {probe.marker()}", objective="Let shoppers pay in two steps")
    probe.tick()
    newer = probe.new_intent(title=f"Newer intent {probe.marker()}", objective="Let shoppers save their cart")
    probe.require(probe.call("PATCH", f"{API}/intents/{older['id']}", probe.auth(),
                             {"title": older["title"] + " edited"}), 200, "edit the older intent")
    export = probe.call("GET", f"{API}/export", probe.auth(), params={"format": "claude-md"})
    text = export.text
    first, second = text.find(older["title"] + " edited"), text.find(newer["title"])
    probe.expect(export.status_code == 200 and -1 < first < second,
                 "the intent edited last is not exported first", export)


def _after_tick(probe, write, **fields) -> dict:
    probe.tick()
    return write(**fields)


def _negated(timestamp: str) -> tuple:
    """A key that sorts ISO timestamps descending (they compare as text)."""
    return tuple(-ord(char) for char in timestamp)

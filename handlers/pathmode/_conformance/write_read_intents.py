"""Write, then read back what the document says was stored: trimmed text, documented
defaults, replaced (not merged) fields, and the side effects (notes logged, counts)."""

from __future__ import annotations

API = "/api/v1"
NOTE_KEYS = {"id", "intentId", "note", "source", "createdAt"}


def check_create_trims_and_defaults(probe):
    """PM-INTENTS-CREATE-2, PM-INTENTS-CREATE-3, PM-INTENTS-CREATE-4, PM-INTENTS-CREATE-9, PM-INTENTS-CREATE-12, PM-INTENTS-CREATE-13, PM-INTENTS-CREATE-17, PM-INTENTS-CREATE-19, PM-INTENTS-CREATE-20, PM-INTENTS-CREATE-21, PM-SCHEMA-CONFLICT-13: "Non-empty after trim" text is stored trimmed; omitted fields read back with their defaults.

    An outcome given as a plain string becomes ``{id, text, priority: "must"}``
    (docs/behaviour.md "Pathmode — intents"); the 201 body is what GET then answers."""
    marker = probe.marker()
    body = {"title": f"  Padded {marker}  ", "objective": "  Let shoppers pay in one step  ",
            "productId": probe.product(), "outcomes": ["  Reach first intent  "],
            "constraints": ["  No new signup steps  ", "   "], "healthMetrics": ["  activation_rate ", ""],
            "status": "shipped", "version": 7}
    created = probe.call("POST", f"{API}/intents", probe.auth(), body)
    intent = probe.require(created, 201, "create an intent with padded text")
    expected = {"title": f"Padded {marker}", "objective": "Let shoppers pay in one step", "status": "draft", "version": 1,
                "constraints": ["No new signup steps"], "healthMetrics": ["activation_rate"], "verification": {},
                "problemSeverity": None, "scope": None, "evidenceIds": [], "edgeCases": [], "relations": []}
    for field, value in expected.items():
        probe.expect(intent.get(field) == value, f"{field} is {intent.get(field)!r}, expected {value!r}", created)
    outcomes = intent.get("outcomes") or [{}]
    probe.expect(len(outcomes) == 1 and outcomes[0].get("text") == "Reach first intent"
                 and outcomes[0].get("priority") == "must" and bool(outcomes[0].get("id")),
                 f"outcomes {outcomes}, expected one {{id, text: 'Reach first intent', priority: 'must'}}", created)
    shown = probe.call("GET", f"{API}/intents/{intent.get('id')}", probe.auth())
    probe.expect(probe.json(shown) == intent, "GET answers another intent than the 201 did", shown)
    listed = probe.call("GET", f"{API}/intents", probe.auth())
    titles = [i.get("title") for i in probe.json(listed).get("intents", []) if i.get("id") == intent.get("id")]
    probe.expect(titles == [f"Padded {marker}"], f"the list shows the title as {titles}", listed)


def check_patch_replaces_trims_and_keeps_status(probe):
    """PM-INTENT-PATCH-1, PM-INTENT-PATCH-2, PM-INTENT-PATCH-4, PM-INTENT-PATCH-8, PM-INTENT-PATCH-9, PM-INTENT-PATCH-13: each given field replaced (trimmed), the others kept, status untouched, updatedAt forward."""
    intent = probe.new_intent(outcomes=["A"], constraints=["c0"], verification={"manualChecks": ["a"], "other": 1})
    patch = {"title": "  New title  ", "objective": "  Let shoppers pay in two steps  ", "status": "shipped",
             "outcomes": ["B"], "constraints": ["  c1  ", "  "], "verification": {"manualChecks": ["b"]}}
    answer = probe.call("PATCH", f"{API}/intents/{intent['id']}", probe.auth(), patch)
    body = probe.require(answer, 200, "patch the intent")
    probe.expect((body.get("title"), body.get("objective")) == ("New title", "Let shoppers pay in two steps"),
                 f"title/objective {body.get('title')!r}/{body.get('objective')!r}, expected them trimmed", answer)
    probe.expect(body.get("status") == "draft", f"PATCH changed the status to {body.get('status')!r}", answer)
    probe.expect([o.get("text") for o in body.get("outcomes", [])] == ["B"], "outcomes merged instead of replaced",
                 answer)
    probe.expect(body.get("constraints") == ["c1"], f"constraints {body.get('constraints')}, expected ['c1']", answer)
    probe.expect(body.get("verification") == {"manualChecks": ["b"]}, "verification merged instead of replaced",
                 answer)
    probe.expect(body.get("updatedAt", "") > intent["updatedAt"], "updatedAt did not move forward", answer)
    shown = probe.json(probe.call("GET", f"{API}/intents/{intent['id']}", probe.auth()))
    probe.expect(shown == body, "GET answers another intent than the PATCH did", probe.last)
    only_title = probe.json(probe.call("PATCH", f"{API}/intents/{intent['id']}", probe.auth(), {"title": "Third"}))
    probe.expect(only_title.get("objective") == "Let shoppers pay in two steps" and only_title.get("constraints") == ["c1"],
                 "a PATCH of the title alone changed other fields", probe.last)


def check_status_change_logs_its_verification_result(probe):
    """PM-INTENT-STATUS-12: "a summary is logged as an intent_implementation_notes row (source 'verification_checkpoint')" (docs/behaviour.md "Pathmode — intents" gives the text)."""
    intent = probe.new_intent()["id"]
    result = {"pass": True, "score": 90, "results": [], "summary": "  All outcomes met  "}
    answer = probe.call("PATCH", f"{API}/intents/{intent}/status", probe.auth(),
                        {"status": "shipped", "verificationResult": result})
    probe.require(answer, 200, "ship with a verification result")
    notes = probe.json(probe.call("GET", f"{API}/intents/{intent}/notes", probe.auth())).get("notes", [])
    logged = [n.get("note") for n in notes if n.get("source") == "verification_checkpoint"]
    probe.expect(logged == ["Verification PASS (score 90): All outcomes met"],
                 f"verification_checkpoint notes {logged}", probe.last)


def check_verify_verdict_score_and_note(probe):
    """PM-VERIFY-1, PM-VERIFY-4, PM-VERIFY-5, PM-VERIFY-6, PM-VERIFY-7, PM-VERIFY-8, PM-VERIFY-9: pass iff no item fails, unclear is half credit, the result stored (updatedAt forward) and one checkpoint note logged."""
    intent = probe.new_intent(outcomes=["Users can reset their password from the login screen",
                                        "Quantum flux capacitors stay aligned"],
                              constraints=["Never email the password"])
    answer = probe.call("POST", f"{API}/intents/{intent['id']}/verify", probe.auth(),
                        {"summary": "Users can reset their password from the login screen. We never email the password."})
    body = probe.require(answer, 200, "verify")
    results = body.get("results", [])
    statuses = [r.get("status") for r in results]
    probe.expect(all(s in ("pass", "fail", "unclear") for s in statuses)
                 and all(r.get("category") in ("outcome", "constraint", "constitution", "edge_case") for r in results),
                 "a result outside the documented status or category enums", answer)
    probe.expect(body.get("pass") == ("fail" not in statuses), f"pass is {body.get('pass')} for statuses {statuses}",
                 answer)
    credit = sum(1 if s == "pass" else 0.5 if s == "unclear" else 0 for s in statuses)
    expected = round(100 * credit / len(statuses)) if statuses else 0
    probe.expect(body.get("score") == expected, f"score {body.get('score')} for {statuses}, expected {expected}", answer)
    shown = probe.json(probe.call("GET", f"{API}/intents/{intent['id']}", probe.auth()))
    probe.expect(shown.get("updatedAt", "") > intent["updatedAt"], "verify did not move updatedAt forward", probe.last)
    notes = probe.json(probe.call("GET", f"{API}/intents/{intent['id']}/notes", probe.auth())).get("notes", [])
    probe.expect([n.get("source") for n in notes] == ["verification_checkpoint"],
                 f"notes after one verify: {[n.get('source') for n in notes]}", probe.last)


def check_notes_trim_default_and_author(probe):
    """PM-NOTES-CREATE-1, PM-NOTES-CREATE-4, PM-NOTES-CREATE-5, PM-NOTES-CREATE-6, PM-NOTES-LIST-4: trimmed, source 'manual', the POST without createdBy, the list with the caller as createdBy."""
    intent = probe.new_intent()["id"]
    answer = probe.call("POST", f"{API}/intents/{intent}/notes", probe.auth(), {"note": "  Shipped behind flag  "})
    note = probe.require(answer, 201, "write a note")
    probe.expect(set(note) == NOTE_KEYS, f"POST /notes keys {sorted(note)}, expected {sorted(NOTE_KEYS)}", answer)
    probe.expect((note.get("note"), note.get("source"), note.get("intentId")) == ("Shipped behind flag", "manual", intent),
                 f"note/source/intentId {note.get('note')!r}/{note.get('source')!r}/{note.get('intentId')!r}", answer)
    listed = probe.call("GET", f"{API}/intents/{intent}/notes", probe.auth())
    shown = next((n for n in probe.json(listed).get("notes", []) if n.get("id") == note.get("id")), {})
    probe.expect(shown.get("createdBy") == probe.user_id() and shown.get("note") == "Shipped behind flag",
                 f"the listed note's createdBy {shown.get('createdBy')!r}, expected the key's user", listed)


def check_findings_start_open_and_count_open(probe):
    """PM-FINDINGS-CREATE-1, PM-FINDINGS-CREATE-10, PM-FINDINGS-CREATE-11, PM-FINDINGS-CREATE-13, PM-FINDINGS-CREATE-14, PM-FINDINGS-LIST-2, PM-FINDINGS-LIST-5: every finding starts open whatever the body says; optional fields only when given; openCount = the open findings."""
    intent = probe.new_intent()
    base = f"{API}/intents/{intent['id']}/findings"
    first = probe.call("POST", base, probe.auth(),
                       {"assumption": "  Users read email  ", "finding": "  They do not  ", "status": "reconciled",
                        "id": "00000000-0000-4000-8000-000000000001"})
    body = probe.require(first, 201, "record a finding")
    finding = body.get("finding", {})
    probe.expect(finding.get("status") == "open", f"a new finding has status {finding.get('status')!r}", first)
    probe.expect(finding.get("id") != "00000000-0000-4000-8000-000000000001", "the id in the body was kept", first)
    probe.expect((finding.get("assumption"), finding.get("finding")) == ("Users read email", "They do not"),
                 "assumption/finding not trimmed", first)
    probe.expect(not {"target", "correction", "source"} & set(finding), "optional fields echoed though not given", first)
    probe.expect(body.get("openCount") == 1 and body.get("intentId") == intent["id"], "openCount after one finding", first)
    # PATCHing the objective reconciles a finding with no target (docs/behaviour.md "Pathmode — findings")
    probe.call("PATCH", f"{API}/intents/{intent['id']}", probe.auth(), {"objective": "Let shoppers pay by invoice"})
    second = probe.call("POST", base, probe.auth(),
                        {"assumption": "Carts persist", "finding": "They expire", "target": "objective",
                         "correction": "Keep carts 30 days", "source": "cli"})
    body = probe.json(second)
    probe.expect({k: body.get("finding", {}).get(k) for k in ("target", "correction", "source")}
                 == {"target": "objective", "correction": "Keep carts 30 days", "source": "cli"},
                 "the optional fields given are not echoed", second)
    open_listed = probe.json(probe.call("GET", base, probe.auth(), params={"status": "open"}))
    every = probe.json(probe.call("GET", base, probe.auth()))
    probe.expect(body.get("openCount") == open_listed.get("count") == 1,
                 f"openCount {body.get('openCount')}, open findings listed {open_listed.get('count')}, expected 1", second)
    probe.expect(every.get("count") == 2 and {f.get("status") for f in every.get("findings", [])} == {"open", "reconciled"},
                 "the unfiltered list does not hold the open and the reconciled finding", probe.last)

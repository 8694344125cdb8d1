"""Tenant isolation of lists, searches, counts and exports: nothing of tenant B in any answer
tenant A can get, under every way A can authenticate."""

from __future__ import annotations

from conformance.behaviour import leaks

API = "/api/v1"
NOT_FILTERS = {"workspace_id", "limit", "offset"}


def _tenant_b_data(probe) -> dict[str, str]:
    """Tenant B writes something into every list (an intent with a note, a finding, a linked
    evidence item, a measurement and a share); returns the values that must never reach A."""
    marker = probe.marker("onlyb")
    intent = probe.new_intent("b", title=f"B intent {marker}", objective=f"B objective {marker}")
    evidence = probe.new_evidence("b", content=f"B evidence {marker}", tags=[marker])
    base = f"{API}/intents/{intent['id']}"
    for path, body in ((f"{base}/notes", {"note": f"B note {marker}"}),
                       (f"{base}/findings", {"assumption": f"B assumed {marker}", "finding": f"B found {marker}"}),
                       (f"{base}/evidence", {"link": [evidence["id"]]})):
        probe.require(probe.call("POST", path, probe.auth("b"), body), (200, 201), f"tenant B writes {path}")
    probe.call("POST", f"{base}/outcomes", probe.cookie("b"),
               {"outcomeIndex": 0, "outcomeText": f"B outcome {marker}", "actualValue": "1"})
    share = probe.json(probe.call("POST", f"{base}/share", probe.auth("b")))
    rule: dict = next(iter(probe.json(probe.call("GET", f"{API}/workspace/constitution", probe.auth("b")))
                     .get("rules", [])), {})
    return {"B's workspace id": probe.workspace_id("b"), "B's intent id": intent["id"],
            "B's evidence id": evidence["id"], "B's product id": probe.product("b"), "B's marker": marker,
            "B's owner's user id": probe.user_id("b"), "B's share token": share.get("token", ""),
            "B's constitution rule": rule.get("text", "")}


def _variants(operation, secrets: dict[str, str]) -> list[dict]:
    """The query strings worth asking for: none, each enum value, and B's own ids and marker
    in the parameters that filter by them (a filter that forgets the tenant shows B's rows)."""
    variants: list[dict] = [{}]
    for parameter in operation.definition.raw.get("parameters", []):
        name, schema = parameter.get("name"), parameter.get("schema", {})
        if parameter.get("in") != "query" or name in NOT_FILTERS:
            continue
        if "enum" in schema:
            variants += [{name: value} for value in schema["enum"]]
        elif name.lower().endswith("id"):
            wanted = "B's product id" if "product" in name.lower() else "B's intent id"
            variants.append({name: secrets[wanted]})
        elif name in ("search", "tags"):
            variants.append({name: secrets["B's marker"]})
    return variants


def check_no_list_shows_another_tenant(probe):
    """PM-INTENTS-LIST-1, PM-EVIDENCE-LIST-1, PM-NOTES-LIST-1, PM-CONSTITUTION-1, PM-WORKSPACE-1, PM-KEYS-LIST-1, PM-OUTCOMES-LIST-6, PM-AUTH-9, PM-EXPORT-18: no list, search, count or export shows tenant B.

    Every GET operation of the document, with each of its filters (every enum value; B's ids
    and marker where a parameter filters by them), is called by tenant A with A's key, A's
    session (``?workspace_id=A``) and A's key with ``?workspace_id=B`` (ignored for keys):
    no answer holds any of B's ids, B's marker or B's rule, and a search for B's marker
    counts nothing."""
    secrets = _tenant_b_data(probe)
    own_intent = probe.new_intent()["id"]
    modes = {"A's key": probe.auth(), "A's session": probe.auth(via="session"),
             "A's key with ?workspace_id=B": {**probe.auth(), "params": {"workspace_id": secrets["B's workspace id"]}}}
    for found in probe.schema.get_all_operations():
        operation = found.ok()
        if operation.method.upper() != "GET":
            continue
        path = API + operation.path.replace("{id}", own_intent)
        cookie_only = operation.definition.raw.get("x-auth") == "cookie-session-only"
        callers = {"A's session cookie": probe.cookie()} if cookie_only else modes
        for params in _variants(operation, secrets):
            for who, auth in callers.items():
                response = probe.call("GET", path, auth, params=params)
                leaked = leaks(response.text, secrets)
                probe.expect(not leaked, f"{who}, {params or 'no filter'}: the answer holds {', '.join(leaked)}",
                             response)
    search = probe.call("GET", f"{API}/evidence", probe.auth(), params={"search": secrets["B's marker"]})
    probe.expect(probe.json(search).get("count") == 0, "a search for B's marker counts B's evidence", search)


def check_evidence_of_another_tenant_is_not_linked(probe):
    """PM-EVIDENCE-LINK-8: "link/unlink counts only increment for IDs that exist in the workspace"; B's item keeps no link to A."""
    theirs = probe.new_evidence("b")
    intent = probe.new_intent()["id"]
    linked = probe.call("POST", f"{API}/intents/{intent}/evidence", probe.auth(), {"link": [theirs["id"]]})
    body = probe.json(linked)
    probe.expect(linked.status_code == 200 and body.get("linked") == 0 and theirs["id"] not in body.get("evidenceIds", []),
                 "tenant A linked tenant B's evidence item", linked)
    listing = probe.call("GET", f"{API}/evidence", probe.auth("b"), params={"search": theirs["content"]})
    item = next((e for e in probe.json(listing).get("evidence", []) if e["id"] == theirs["id"]), {})
    probe.expect(item.get("linkedIntentIds") == [], "B's evidence item shows a link to A's intent", listing)
    shown = probe.call("GET", f"{API}/intents/{intent}", probe.auth())
    probe.expect(theirs["id"] not in probe.json(shown).get("evidenceIds", []),
                 "A's intent lists B's evidence item", shown)


def check_export_refuses_another_tenants_ids(probe):
    """PM-EXPORT-18: another workspace's intent_id is 404; a product_id outside the workspace is 404 (docs/behaviour.md "Pathmode — export (GET /export)")."""
    intent = probe.new_intent("b")["id"]
    for params in ({"format": "intent-md", "intent_id": intent}, {"format": "cursorrules", "intent_id": intent},
                   {"format": "claude-md", "intent_id": intent}, {"format": "claude-md", "product_id": probe.product("b")}):
        for who, auth in (("A's key", probe.auth()), ("A's session", probe.auth(via="session"))):
            response = probe.call("GET", f"{API}/export", auth, params=params)
            probe.expect(response.status_code == 404 and "json" in response.headers.get("content-type", ""),
                         f"{who}, {params}: {response.status_code}, expected a 404 JSON error", response)

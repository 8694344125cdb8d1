"""Security: each operation's effective requirement, the global one, and the schemes.

A requirement is a list of alternatives (any one suffices); an alternative maps scheme names to
scopes (all needed). Public means no alternative, or an empty one (``{}``). Alternatives are
matched by their set of schemes: one gaining a scheme is ``security-requirement-added``, one
vanishing ``security-alternative-removed``, scopes of a matched one are compared one by one.
"""

from __future__ import annotations

from codegen.diff.extensions import compare_extensions
from codegen.diff.model import Findings, at
from codegen.diff.refs import resolve

SCHEME_KEYWORDS = ("type", "in", "name", "scheme", "openIdConnectUrl")
FLOW_URLS = ("authorizationUrl", "tokenUrl", "refreshUrl")


def effective(document: dict, operation: dict) -> list:
    """The operation's own ``security``, else the document's."""
    requirement = operation["security"] if "security" in operation else document.get("security")
    return requirement if isinstance(requirement, list) else []


def is_public(requirement: list | None) -> bool:
    return not requirement or any(alternative == {} for alternative in requirement)


def _alternatives(requirement: list | None) -> dict[frozenset, dict]:
    return {frozenset(alt): alt for alt in requirement or [] if isinstance(alt, dict) and alt}


def compare_requirements(old: list | None, new: list | None, findings: Findings, operation: str | None,
                         prefix: str = "") -> None:
    """``prefix`` is "global-" for the document's own ``security``."""
    def add(change_id: str, before: object, after: object) -> None:
        findings.add(prefix + change_id, operation, "security", before, after)

    if is_public(old) and is_public(new):
        return
    if is_public(old) or is_public(new):
        add("security-added" if is_public(old) else "security-removed", old, new)
        return
    before, after = _alternatives(old), _alternatives(new)
    for schemes in sorted(before.keys() & after.keys(), key=sorted):
        for scheme in sorted(schemes):
            had, has = set(before[schemes][scheme] or []), set(after[schemes][scheme] or [])
            if has - had:
                add("security-scope-added", {scheme: sorted(had)}, {scheme: sorted(has)})
            if had - has:
                add("security-scope-removed", {scheme: sorted(had)}, {scheme: sorted(has)})
    gone = sorted(before.keys() - after.keys(), key=sorted)
    came = sorted(after.keys() - before.keys(), key=sorted)
    for schemes in list(gone):
        wider = next((other for other in came if other > schemes), None)
        narrower = next((other for other in came if other < schemes), None)
        other = wider if wider is not None else narrower
        if other is not None:
            add("security-requirement-added" if wider is not None else "security-requirement-removed",
                before[schemes], after[other])
            gone.remove(schemes)
            came.remove(other)
    for schemes in gone:
        add("security-alternative-removed", before[schemes], None)
    for schemes in came:
        add("security-alternative-added", None, after[schemes])


def compare_schemes(old_document: dict, new_document: dict, findings: Findings) -> None:
    before = (old_document.get("components") or {}).get("securitySchemes") or {}
    after = (new_document.get("components") or {}).get("securitySchemes") or {}
    for name in sorted({*before, *after}):
        base = f"components.securitySchemes.{name}"
        if name not in after:
            findings.add("security-scheme-removed", None, base, before[name], None)
            continue
        if name not in before:
            findings.add("security-scheme-added", None, base, None, after[name])
            continue
        old, new = resolve(old_document, before[name]), resolve(new_document, after[name])
        for keyword in SCHEME_KEYWORDS:
            was, now = old.get(keyword), new.get(keyword)
            if keyword == "scheme" and isinstance(was, str) and isinstance(now, str):
                was, now = was.lower(), now.lower()  # HTTP auth schemes are case-insensitive
            if was != now:
                findings.add("security-scheme-changed", None, at(base, keyword), old.get(keyword), new.get(keyword))
        if old.get("description") != new.get("description"):
            findings.add("description-changed", None, at(base, "description"), old.get("description"), new.get("description"))
        if old.get("bearerFormat") != new.get("bearerFormat"):
            findings.add("keyword-changed", None, at(base, "bearerFormat"), old.get("bearerFormat"), new.get("bearerFormat"))
        _compare_flows(old.get("flows") or {}, new.get("flows") or {}, findings, base)
        compare_extensions(old, new, findings, None, base)


def _compare_flows(before: dict, after: dict, findings: Findings, base: str) -> None:
    for flow in sorted({*before, *after}):
        where = at(base, f"flows.{flow}")
        if flow not in after:
            findings.add("security-scheme-flow-removed", None, where, before[flow], None)
        elif flow not in before:
            findings.add("security-scheme-flow-added", None, where, None, after[flow])
        else:
            old, new = before[flow], after[flow]
            for url in FLOW_URLS:
                if old.get(url) != new.get(url):
                    findings.add("security-scheme-changed", None, f"{where}.{url}", old.get(url), new.get(url))
            scopes_before, scopes_after = old.get("scopes") or {}, new.get("scopes") or {}
            for scope in sorted(scopes_before.keys() - scopes_after.keys()):
                findings.add("security-scheme-scope-removed", None, f"{where}.scopes", scope, None)
            for scope in sorted(scopes_after.keys() - scopes_before.keys()):
                findings.add("security-scheme-scope-added", None, f"{where}.scopes", None, scope)
            for scope in sorted(scopes_before.keys() & scopes_after.keys()):
                if scopes_before[scope] != scopes_after[scope]:
                    findings.add("description-changed", None, f"{where}.scopes.{scope}",
                                 scopes_before[scope], scopes_after[scope])

"""What an agent gets to read about an intent: the spec, the workspace strategy, the product,
the active constitution rules and the linked evidence. Shared by prompt, export and review."""

from __future__ import annotations

from handlers.pathmode import _findings, _intents, _readiness
from handlers.pathmode.store import Evidence, Intent, IntentEvidence, Product, Workspace
from spec_server.clock import parse_iso

FLAG = "implementation_context_enabled"
DATE_FIELDS = ("createdAt", "updatedAt", "shippedAt", "verifiedAt")


def implementation_context_enabled(workspace: Workspace) -> bool:
    return bool((workspace.flags or {}).get(FLAG))


def strategy_of(workspace: Workspace) -> str | None:
    strategy = (workspace.settings or {}).get("strategy")
    if isinstance(strategy, dict):  # a structured strategy reads as its fields, one a line
        strategy = "\n".join(f"{key}: {value}" for key, value in strategy.items() if value)
    return strategy.strip() if isinstance(strategy, str) and strategy.strip() else None


def rule_lines(workspace_id: str) -> list[str]:
    """Active rules, ``[BLOCKING]`` when required (a missing enforcement reads as required)."""
    return [f"{'[advisory]' if rule.enforcement == 'advisory' else '[BLOCKING]'} {rule.text}"
            for rule in _intents.active_rules(workspace_id)]


def product_context(product: Product | None) -> dict | None:
    if product is None:
        return None
    return {
        "name": product.name,
        "description": product.description,
        "vision": product.product_vision,
        "northStar": product.north_star,
        "targetAudience": product.target_audience,
        "manifest": product.manifest,
    }


def linked_evidence(intent_id: str) -> list[dict]:
    rows = (Evidence.select(Evidence, IntentEvidence.created_at)
            .join(IntentEvidence, on=(IntentEvidence.evidence == Evidence.id))
            .where(IntentEvidence.intent == intent_id)
            .order_by(IntentEvidence.created_at, Evidence.id))
    return [{"type": row.type, "content": row.content, "source": row.source} for row in rows]


def spec_payload(spec: dict, *, with_implementation_context: bool) -> dict:
    """The API intent shape as agents read it: outcome texts, dates as epoch ms, and the
    implementation context only when the workspace flag allows it."""
    payload = {
        "id": spec["id"],
        "title": spec["title"],
        "objective": spec["objective"],
        "status": spec["status"],
        "problemSeverity": spec.get("problemSeverity"),
        "outcomes": _readiness.outcome_texts(spec.get("outcomes")),
        "constraints": list(spec.get("constraints") or []),
        "healthMetrics": list(spec.get("healthMetrics") or []),
        "edgeCases": [{"scenario": c["scenario"], "expectedBehavior": c["expectedBehavior"]}
                      for c in spec.get("edgeCases") or []],
        "scope": spec.get("scope"),
        "verification": spec.get("verification") or {},
    }
    for field in DATE_FIELDS:
        payload[field] = parse_iso(spec[field]) if spec.get(field) else None
    # stripped unless the workspace flag is on: null, so templates and readers see one shape
    payload["implementationContext"] = spec.get("implementationContext") if with_implementation_context else None
    return payload


def intent_context(intent: Intent, workspace: Workspace, product: Product | None = None, *,
                   rules: list[str] | None = None) -> dict:
    """Everything a prompt or an export renders for one intent (``rules``: the workspace's
    rule lines when the caller already has them, e.g. an export of many intents)."""
    spec = _intents.detail(intent)
    if product is None and intent.product_id:
        product = Product.get_or_none(Product.id == intent.product_id)
    return {
        "spec": spec_payload(spec, with_implementation_context=implementation_context_enabled(workspace)),
        "readiness": _readiness.evaluate(spec),
        "strategy": strategy_of(workspace),
        "product": product_context(product),
        "rules": rule_lines(workspace.id) if rules is None else rules,
        "evidence": linked_evidence(intent.id),
        # write-back findings still open: the next agent reads them as "the spec may be stale here"
        "openFindings": [
            {key: finding[key] for key in ("assumption", "finding", "target", "correction") if key in finding}
            for finding in _findings.open_findings(intent.id)
        ],
    }

"""Pathmode — workspace: strategy, active products and the active constitution."""

from __future__ import annotations

from typing import Any

from generated.pathmode import models
from handlers.pathmode._common import current_workspace, current_workspace_id
from handlers.pathmode._intents import active_rules
from handlers.pathmode.store import ConstitutionRule, Product
from spec_server.clock import iso

# optional product columns: omitted from JSON when falsy
OPTIONAL_PRODUCT_FIELDS = (
    ("description", "description"), ("productVision", "product_vision"), ("northStar", "north_star"),
    ("targetAudience", "target_audience"), ("manifest", "manifest"), ("icon", "icon"), ("color", "color"),
)


def product_view(product: Product) -> dict:
    view: dict[str, Any] = {"id": product.id, "workspaceId": product.workspace_id, "name": product.name,
                            "slug": product.slug}
    for key, column in OPTIONAL_PRODUCT_FIELDS:
        value = getattr(product, column)
        if value:
            view[key] = value
    view.update({
        "defaultContext": product.default_context or {},
        "status": product.status,
        "createdBy": product.created_by,
        "createdAt": iso(product.created_at),
        "updatedAt": iso(product.updated_at),
    })
    return view


def rule_view(rule: ConstitutionRule) -> dict:
    view: dict[str, Any] = {"id": rule.id, "category": rule.category, "text": rule.text}
    if rule.rationale is not None:
        view["rationale"] = rule.rationale
    if rule.scope is not None:
        view["scope"] = rule.scope
    view["enforcement"] = rule.enforcement or "required"
    if isinstance(rule.examples, list):
        view["examples"] = rule.examples
    view["isActive"] = bool(rule.is_active)
    view["createdAt"] = iso(rule.created_at)
    return view


def get_workspace(workspace_id=None) -> tuple[models.GetWorkspaceResponse200, int]:
    ws = current_workspace()
    products = (Product.select()
                .where((Product.workspace == ws.id) & (Product.status == "active"))
                .order_by(Product.created_at, Product.id))
    return {
        "id": ws.id,
        "name": ws.name,
        "urlKey": ws.url_key,
        "tags": ws.tags or [],
        "strategy": (ws.settings or {}).get("strategy"),
        "products": [product_view(p) for p in products],
        "constitutionRules": [rule_view(r) for r in active_rules(ws.id)],
    }, 200


def get_workspace_constitution(workspace_id=None) -> tuple[models.GetWorkspaceConstitutionResponse200, int]:
    rules = [rule_view(r) for r in active_rules(current_workspace_id())]
    return {"rules": rules, "count": len(rules)}, 200

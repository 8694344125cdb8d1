"""GET /api/v1/workspace: details, active products and active constitution (PM-WORKSPACE-*)."""

from __future__ import annotations

from handlers.pathmode.store import Product, Workspace
from spec_server import clock
from spec_server.db import database, is_postgres
from tests.support import only_rules

OPTIONAL_PRODUCT_KEYS = ("description", "productVision", "northStar", "targetAudience", "manifest", "icon", "color")


def workspace(client, tenants, ws="ws-a") -> dict:
    response = client.get("/api/v1/workspace", headers=tenants.pm_headers(ws))
    assert response.status_code == 200, response.text
    return response.json()


def only_products(tenants, *specs: dict) -> list[str]:
    """Replace workspace A's products with the given rows, created one millisecond apart."""
    with database.connection_context():
        ws = tenants.pm_workspace_id()
        Product.update(status="archived").where(Product.workspace == ws).execute()
        base = clock.now_ms()
        return [Product.create(workspace=ws, name=spec.get("name", f"P{n}"), slug=f"p{n}",
                               created_at=base + n, updated_at=base + n,
                               **{k: v for k, v in spec.items() if k != "name"}).id
                for n, spec in enumerate(specs, start=1)]


def test_workspace_details(client, tenants):
    """PM-WORKSPACE-1: "Get workspace details: name, url key, tags, strategy, active products, and
    active constitution rules." """
    body = workspace(client, tenants)
    assert body["id"] == tenants.pm_workspace_id()
    assert {"name", "urlKey", "tags", "strategy", "products", "constitutionRules"} <= set(body)
    assert (body["name"], body["urlKey"], body["tags"]) == ("Workspace A", "ws-a", [])
    assert {p["name"] for p in body["products"]} == {"Checkout", "Search"}
    assert workspace(client, tenants, "ws-b")["id"] == tenants.pm_workspace_id("ws-b")


def test_strategy_comes_from_settings(client, tenants):
    """PM-WORKSPACE-2: "strategy is read from workspaces.settings.strategy (null when unset)" """
    assert workspace(client, tenants)["strategy"] is None
    strategy = {"northStar": "Weekly active specs", "bets": ["Onboarding"]}
    with database.connection_context():
        Workspace.update(settings={"strategy": strategy, "other": 1}).where(
            Workspace.id == tenants.pm_workspace_id()).execute()
    assert workspace(client, tenants)["strategy"] == strategy


def delete_workspace_row(workspace_id: str) -> None:
    """Drop only the workspace row, without the cascade to its keys, so a key naming it stays valid."""
    with database.connection_context():
        if is_postgres():
            with database.atomic():  # SET LOCAL ends with the transaction (pooled connections)
                database.execute_sql("SET LOCAL session_replication_role = replica")
                Workspace.delete().where(Workspace.id == workspace_id).execute()
        else:
            database.execute_sql("PRAGMA foreign_keys = OFF")  # per connection, outside transactions
            Workspace.delete().where(Workspace.id == workspace_id).execute()
            database.execute_sql("PRAGMA foreign_keys = ON")


def test_deleted_workspace_is_404(client, tenants):
    """PM-WORKSPACE-3: "Workspace not found." — a still-valid key whose workspace row is gone."""
    delete_workspace_row(tenants.pm_workspace_id())
    response = client.get("/api/v1/workspace", headers=tenants.pm_headers())
    assert response.status_code == 404
    assert response.json() == {"error": "Workspace not found"}


def test_only_active_products(client, tenants):
    """PM-WORKSPACE-4: "products only includes status='active' rows" """
    active, archived = only_products(tenants, {"name": "Live"}, {"name": "Old", "status": "archived"})
    ids = [p["id"] for p in workspace(client, tenants)["products"]]
    assert ids == [active] and archived not in ids


def test_products_oldest_first(client, tenants):
    """PM-WORKSPACE-5: "sorted created_at ASC" """
    first, second = only_products(tenants, {"name": "P1"}, {"name": "P2"})
    assert [p["id"] for p in workspace(client, tenants)["products"]] == [first, second]


def test_falsy_optional_product_columns_are_omitted(client, tenants):
    """PM-WORKSPACE-6: "Optional product columns (description/productVision/northStar/
    targetAudience/manifest/icon/color) are omitted from JSON when falsy" """
    bare, blank, full = only_products(
        tenants, {"name": "Bare"},
        {"name": "Blank", "description": "", "icon": "", "manifest": {}},
        {"name": "Full", "description": "d", "product_vision": "v", "north_star": "n",
         "target_audience": "t", "manifest": {"k": 1}, "icon": "i", "color": "#fff"})
    products = {p["id"]: p for p in workspace(client, tenants)["products"]}
    for product_id in (bare, blank):
        assert not set(OPTIONAL_PRODUCT_KEYS) & set(products[product_id])
    assert set(OPTIONAL_PRODUCT_KEYS) <= set(products[full])
    assert products[full]["manifest"] == {"k": 1}


def test_default_context_defaults_to_empty_object(client, tenants):
    """PM-WORKSPACE-7: "defaultContext defaults to {}" """
    plain, with_context = only_products(tenants, {"name": "Plain"}, {"name": "Ctx", "default_context": {"a": 1}})
    products = {p["id"]: p for p in workspace(client, tenants)["products"]}
    assert products[plain]["defaultContext"] == {}
    assert products[with_context]["defaultContext"] == {"a": 1}


def test_only_active_constitution_rules(client, tenants):
    """PM-WORKSPACE-8: "constitutionRules only includes is_active=true rows" """
    active, inactive = only_rules(tenants, {"text": "On"}, {"text": "Off", "is_active": False})
    rules = workspace(client, tenants)["constitutionRules"]
    assert [r["id"] for r in rules] == [active]
    assert all(r["isActive"] is True for r in rules)


def test_constitution_rules_newest_first(client, tenants):
    """PM-WORKSPACE-9: "sorted created_at DESC" """
    first, second = only_rules(tenants, {"text": "R1"}, {"text": "R2"})
    assert [r["id"] for r in workspace(client, tenants)["constitutionRules"]] == [second, first]


def test_null_rule_fields_are_omitted(client, tenants):
    """PM-WORKSPACE-10: "rationale/scope/examples omitted when null/non-array" """
    bare, odd, full = only_rules(tenants, {"text": "Bare"}, {"text": "Odd", "examples": "not-a-list"},
                                 {"text": "Full", "rationale": "why", "scope": "api", "examples": ["e"]})
    rules = {r["id"]: r for r in workspace(client, tenants)["constitutionRules"]}
    for rule_id in (bare, odd):
        assert not {"rationale", "scope", "examples"} & set(rules[rule_id])
    assert (rules[full]["rationale"], rules[full]["scope"], rules[full]["examples"]) == ("why", "api", ["e"])


def test_enforcement_defaults_to_required(client, tenants):
    """PM-WORKSPACE-11: "enforcement defaults to 'required'" """
    unset, advisory = only_rules(tenants, {"text": "Unset"}, {"text": "Advisory", "enforcement": "advisory"})
    rules = {r["id"]: r for r in workspace(client, tenants)["constitutionRules"]}
    assert rules[unset]["enforcement"] == "required"
    assert rules[advisory]["enforcement"] == "advisory"

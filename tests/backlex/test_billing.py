"""Billing: plans, hosted checkout through the local engine, cancel/resume, packs, top-ups."""

from __future__ import annotations

import json

from handlers.backlex import _usage
from handlers.backlex.store import Org
from spec_server import cli, clock
from spec_server.db import database
from tests.backlex.org_helpers import make_project, team_org
from tests.support import current_database_url

DAY = 24 * 3600


def billing(client, tenants, org, who="owner@a.example"):
    response = client.get(f"/api/org/{org['slug']}/billing", cookies=tenants.bx_session(who))
    assert response.status_code == 200, response.text
    return response.json()


def checkout(client, tenants, org, plan="pro", **extra):
    return client.post(f"/api/org/{org['slug']}/billing/checkout", json={"plan": plan, **extra},
                       cookies=tenants.bx_session())


def run_cli(monkeypatch, *args) -> int:
    url = current_database_url()
    monkeypatch.setenv("DATABASE_URL", url)
    return cli.main([*args, "--database", url])


def subscribe(client, tenants, org, monkeypatch, plan="pro", **extra) -> str:
    response = checkout(client, tenants, org, plan, **extra)
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert run_cli(monkeypatch, "billing", "complete", url) == 0
    return url


def post(client, tenants, org, action):
    return client.post(f"/api/org/{org['slug']}/billing/subscription/{action}", cookies=tenants.bx_session())


def test_a_new_org_is_on_free_without_subscription(client, tenants):
    org = team_org(client, tenants)
    assert billing(client, tenants, org, who="admin@a.example") == {
        "plan": "free", "subscription": None, "invoices": [], "packs": [], "topups": [],
        "enforcement": {"requestThrottled": False, "storageReadOnly": False}, "paymentMethod": None}


def test_checkout_returns_a_hosted_url_and_changes_nothing_until_paid(client, tenants, settings):
    org = team_org(client, tenants)
    response = checkout(client, tenants, org, "scale", interval="annual")
    assert response.status_code == 200
    assert response.json()["url"].startswith(f"{settings.public_base_url}/billing/checkout/")
    assert billing(client, tenants, org)["plan"] == "free"


def test_completing_a_checkout_moves_the_org_to_the_plan_with_an_invoice(client, tenants, monkeypatch, capsys):
    org = team_org(client, tenants)
    subscribe(client, tenants, org, monkeypatch, "pro")
    state = billing(client, tenants, org)
    assert state["plan"] == "pro"
    assert state["subscription"]["plan"] == "pro" and state["subscription"]["status"] == "active"
    assert state["subscription"]["interval"] == "monthly" and state["subscription"]["endsAt"] is None
    [invoice] = state["invoices"]
    assert invoice["amount"] == 2500 and invoice["status"] == "paid" and invoice["currency"] == "usd"
    assert state["paymentMethod"]["cardLastFour"] == "4242"
    assert state["paymentMethod"]["renewsAt"] == state["subscription"]["currentPeriodEnd"]
    orgs = client.get("/api/orgs", cookies=tenants.bx_session()).json()["orgs"]
    assert orgs[0]["planId"] == "pro"
    notes = client.get(f"/api/org/{org['slug']}/notifications", cookies=tenants.bx_session("admin@a.example"))
    assert [n["kind"] for n in notes.json()["notifications"]] == ["billing.plan_changed"]


def test_annual_costs_ten_months(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    subscribe(client, tenants, org, monkeypatch, "scale", interval="annual")
    state = billing(client, tenants, org)
    assert state["invoices"][0]["amount"] == 99 * 10 * 100
    start = clock.parse_iso(state["subscription"]["currentPeriodStart"])
    end = clock.parse_iso(state["subscription"]["currentPeriodEnd"])
    assert end - start == 365 * DAY * 1000


def test_a_checkout_completes_once(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    url = subscribe(client, tenants, org, monkeypatch)
    assert run_cli(monkeypatch, "billing", "complete", url) == 1
    assert run_cli(monkeypatch, "billing", "complete", "no-such-session") == 1
    assert len(billing(client, tenants, org)["invoices"]) == 1


def test_checkout_for_the_current_plan_is_409(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    subscribe(client, tenants, org, monkeypatch, "pro")
    assert checkout(client, tenants, org, "pro").status_code == 409
    assert checkout(client, tenants, org, "max").status_code == 200


def test_unknown_plan_is_422(client, tenants):
    org = team_org(client, tenants)
    assert checkout(client, tenants, org, "free").status_code == 422
    assert checkout(client, tenants, org, "pro", interval="weekly").status_code == 422


def test_cancel_is_at_period_end_and_resume_undoes_it(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    subscribe(client, tenants, org, monkeypatch)
    period_end = billing(client, tenants, org)["subscription"]["currentPeriodEnd"]
    cancelled = post(client, tenants, org, "cancel")
    assert cancelled.status_code == 200
    assert cancelled.json() == {"status": "canceling", "endsAt": period_end}
    state = billing(client, tenants, org)
    assert state["plan"] == "pro" and state["subscription"]["cancelAtPeriodEnd"] is True
    assert post(client, tenants, org, "cancel").status_code == 409
    resumed = post(client, tenants, org, "resume")
    assert resumed.status_code == 200 and resumed.json() == {"status": "active", "endsAt": None}
    assert post(client, tenants, org, "resume").status_code == 409


def test_without_a_subscription_cancel_and_resume_are_409(client, tenants):
    org = team_org(client, tenants)
    assert post(client, tenants, org, "cancel").status_code == 409
    assert post(client, tenants, org, "resume").status_code == 409


def test_after_the_period_ends_a_cancelled_org_is_free_and_cannot_resume(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    clock.advance(-29 * DAY)  # subscribed 29 days ago: the period ends tomorrow
    subscribe(client, tenants, org, monkeypatch)
    clock.reset()
    assert post(client, tenants, org, "cancel").status_code == 200
    clock.advance(2 * DAY)
    assert post(client, tenants, org, "resume").status_code == 409
    state = billing(client, tenants, org)
    assert state["plan"] == "free" and state["subscription"]["status"] == "canceled"
    assert state["paymentMethod"] is None


def test_an_active_subscription_renews_with_a_new_invoice(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    clock.advance(-29 * DAY)
    subscribe(client, tenants, org, monkeypatch)
    clock.reset()
    clock.advance(2 * DAY)
    state = billing(client, tenants, org)
    assert state["plan"] == "pro" and len(state["invoices"]) == 2
    assert clock.parse_iso(state["subscription"]["currentPeriodEnd"]) > clock.now_ms()


def test_packs_and_topups_are_counted_and_lift_enforcement(client, tenants, monkeypatch):
    org = team_org(client, tenants)
    project = make_project(org, "web")
    with database.connection_context():
        _usage.record_usage(Org.get_by_id(org["id"]), project, "requests", 100_000)
        _usage.record_usage(Org.get_by_id(org["id"]), project, "r2", 1_000)
    assert billing(client, tenants, org)["enforcement"] == {"requestThrottled": True, "storageReadOnly": True}
    response = client.post(f"/api/org/{org['slug']}/billing/packs/checkout", json={"type": "requests"},
                           cookies=tenants.bx_session())
    assert response.status_code == 200
    assert run_cli(monkeypatch, "billing", "complete", response.json()["url"]) == 0
    assert run_cli(monkeypatch, "billing", "topup", "--org", org["slug"], "--type", "r2", "--units", "500") == 0
    state = billing(client, tenants, org)
    assert state["plan"] == "free"
    assert state["packs"] == [{"type": "requests", "quantity": 1, "unitsPerPack": 10_000_000, "status": "active"}]
    assert state["topups"] == [{"type": "r2", "units": 500}]
    assert state["enforcement"] == {"requestThrottled": False, "storageReadOnly": False}
    assert [i["amount"] for i in state["invoices"]] == [1000]


def test_pack_type_outside_the_enum_is_422(client, tenants):
    org = team_org(client, tenants)
    response = client.post(f"/api/org/{org['slug']}/billing/packs/checkout", json={"type": "cpu"},
                           cookies=tenants.bx_session())
    assert response.status_code == 422


def test_billing_changes_are_for_owners_and_reads_for_admins(client, tenants):
    org = team_org(client, tenants)
    admin = tenants.bx_session("admin@a.example")
    assert client.post(f"/api/org/{org['slug']}/billing/checkout", json={"plan": "pro"},
                       cookies=admin).status_code == 403
    assert client.get(f"/api/org/{org['slug']}/billing",
                      cookies=tenants.bx_session("developer@a.example")).status_code == 403
    assert client.get(f"/api/org/{org['slug']}/billing", cookies=admin).status_code == 200


def test_topup_command_prints_what_it_granted(client, tenants, monkeypatch, capsys):
    org = team_org(client, tenants)
    assert run_cli(monkeypatch, "billing", "topup", "--org", org["slug"], "--type", "d1", "--units", "7") == 0
    assert json.loads(capsys.readouterr().out) == {"org": org["slug"], "type": "d1", "units": 7}


def test_the_checkout_url_is_a_local_page_whose_form_completes_the_payment(client, tenants):
    org = team_org(client, tenants)
    url = checkout(client, tenants, org, "max").json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200 and "max plan" in page.text and "<form" in page.text
    assert billing(client, tenants, org)["plan"] == "free"
    paid = client.post(f"/{path}")
    assert paid.status_code == 200
    assert billing(client, tenants, org)["plan"] == "max"
    assert client.post(f"/{path}").status_code == 409
    assert client.get("/billing/checkout/unknown").status_code == 404

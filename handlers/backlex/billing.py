"""backlex — Billing: operations tagged 'Billing'."""

from __future__ import annotations

from generated.backlex import models
from handlers.backlex import (
    _billing,
    _checkout_pages,  # noqa: F401  (the local engine's checkout page)
    _plans,
    _usage,
)
from handlers.backlex._api import current_org
from handlers.backlex._payments import engine
from handlers.backlex.store import Invoice, Subscription
from spec_server import clock, context


def subscription_view(subscription: Subscription | None) -> models.Subscription | None:
    if subscription is None:
        return None
    return {
        "id": subscription.id,
        "plan": subscription.plan,
        "interval": subscription.interval,
        "status": subscription.status,
        "currentPeriodStart": clock.iso(subscription.period_start),
        "currentPeriodEnd": clock.iso(subscription.period_end),
        "cancelAtPeriodEnd": subscription.status == "canceling",
        "endsAt": clock.iso(subscription.ends_at),
    }


def invoice_view(invoice: Invoice) -> models.Invoice:
    return {"id": invoice.id, "number": invoice.number, "description": invoice.description,
            "amount": invoice.amount, "currency": invoice.currency, "status": invoice.status,
            "createdAt": clock.iso(invoice.created_at)}


def _payment_method(org,
                    subscription: Subscription | None) -> models.GetOrgBillingResponse200PaymentMethod | None:
    if subscription is None or subscription.status == "canceled":
        return None
    portal = engine().portal_url(org)
    return {"cardBrand": subscription.card_brand, "cardLastFour": subscription.card_last_four,
            "renewsAt": clock.iso(subscription.period_end) if subscription.status == "active" else None,
            "status": subscription.status, "customerPortalUrl": portal,
            "updatePaymentMethodUrl": f"{portal}/payment-method"}


def _packs(org) -> list[models.GetOrgBillingResponse200Pack]:
    quantities: dict[str, int] = {}
    for pack in _usage.current_packs(org):
        quantities[pack.type] = quantities.get(pack.type, 0) + 1
    return [{"type": kind, "quantity": count, "unitsPerPack": _plans.PACKS[kind]["units"],
             "status": "active"} for kind, count in quantities.items()]


def _topups(org) -> list[models.GetOrgBillingResponse200Topup]:
    units: dict[str, int] = {}
    for topup in _usage.current_topups(org):
        units[topup.type] = units.get(topup.type, 0) + topup.units
    return [{"type": kind, "units": total} for kind, total in units.items()]


def get_org_billing(slug) -> tuple[models.GetOrgBillingResponse200, int]:
    org = _billing.settle(current_org())
    subscription = _billing.subscription_of(org)
    invoices = Invoice.select().where(Invoice.org == org).order_by(Invoice.created_at.desc(),
                                                                    Invoice.number.desc())
    return {
        "plan": org.plan_id,
        "subscription": subscription_view(subscription),
        "invoices": [invoice_view(i) for i in invoices],
        "packs": _packs(org),
        "topups": _topups(org),
        "enforcement": _usage.enforcement(org),
        "paymentMethod": _payment_method(org, subscription),
    }, 200


def post_org_billing_checkout(slug, body) -> tuple[models.PostOrgBillingCheckoutResponse200, int]:
    org = _billing.settle(current_org())
    url = _billing.start_checkout(org, "plan", body["plan"], body.get("interval", "monthly"),
                                  context.caller().user_id)
    return {"url": url}, 200


def post_org_billing_packs_checkout(slug, body) -> tuple[models.PostOrgBillingPacksCheckoutResponse200, int]:
    org = _billing.settle(current_org())
    return {"url": _billing.start_checkout(org, "pack", body["type"], None,
                                           context.caller().user_id)}, 200


def _state(subscription: Subscription) -> models.PostOrgBillingSubscriptionCancelResponse200:
    return {"status": subscription.status, "endsAt": clock.iso(subscription.ends_at)}


def post_org_billing_subscription_cancel(slug) -> tuple[models.PostOrgBillingSubscriptionCancelResponse200, int]:
    return _state(_billing.cancel(_billing.settle(current_org()))), 200


def post_org_billing_subscription_resume(slug) -> tuple[models.PostOrgBillingSubscriptionResumeResponse200, int]:
    return _state(_billing.resume(_billing.settle(current_org()))), 200

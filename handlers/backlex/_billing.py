"""Subscriptions, checkouts, invoices and packs: billing state changes, in one place.

A checkout is a ``CheckoutSession`` the payment engine hosts; completing it (the engine's
callback, here ``spec-server billing complete``) moves the org to the plan or adds the pack, and
writes a paid invoice. Periods are 30 days (monthly) or 365 days (annual), starting when the
checkout completes. State that depends on time (renewal, the end of a cancelled subscription)
is settled lazily by ``settle`` whenever billing or usage is read.
"""

from __future__ import annotations

from handlers.backlex import _events, _plans
from handlers.backlex._payments import engine
from handlers.backlex.store import CheckoutSession, Invoice, Org, Subscription, UsagePack
from spec_server import clock
from spec_server.db import serialize, write_transaction
from spec_server.errors import Conflict

DAY_MS = 24 * 3600 * 1000
PERIOD_MS = {interval: terms["days"] * DAY_MS for interval, terms in _plans.INTERVALS.items()}


def subscription_of(org: Org) -> Subscription | None:
    return Subscription.get_or_none(Subscription.org == org)


def _invoice(org: Org, description: str, amount: int, checkout_id: str | None = None) -> Invoice:
    number = Invoice.select().where(Invoice.org == org).count() + 1
    return Invoice.create(org=org, number=f"{org.slug.upper()}-{number:04d}", description=description,
                          amount=amount, checkout_id=checkout_id, created_at=clock.now_ms())


def _change_plan(org: Org, plan: str, **metadata) -> None:
    before = org.plan_id
    Org.update(plan_id=plan).where(Org.id == org.id).execute()
    if before != plan:
        _events.record(org, "billing.plan_changed", target_type="org", target_id=org.id,
                       metadata={"from": before, "to": plan, **metadata})


def start_checkout(org: Org, kind: str, item: str, interval: str | None, user_id: str) -> str:
    if kind == "plan":
        subscription = subscription_of(org)
        if org.plan_id == item and subscription and subscription.status == "active":
            raise Conflict(f"The organization is already on the {item} plan")
        if org.plan_id == item and subscription and subscription.status == "canceling":
            raise Conflict("This plan is cancelled at period end; resume the subscription instead")
        amount = _plans.price_cents(item, interval or "monthly")
    else:
        amount = _plans.PACKS[item]["price"] * 100
    with write_transaction():
        session = CheckoutSession.create(org=org, kind=kind, item=item, interval=interval,
                                         amount=amount, created_by=user_id, created_at=clock.now_ms())
        _events.record(org, "billing.checkout_started", target_type="checkout", target_id=session.id,
                       metadata={"kind": kind, "item": item, "interval": interval})
    return engine().checkout_url(session)


def complete_checkout(session_id: str) -> CheckoutSession:
    """Apply a paid checkout once; LookupError if unknown, ValueError if already completed."""
    with write_transaction():
        session = CheckoutSession.get_or_none(CheckoutSession.id == session_id)
        if session is None:
            raise LookupError(f"no checkout session {session_id}")
        serialize(f"billing:{session.org_id}")
        if session.status != "open":
            raise ValueError(f"checkout session {session_id} is already {session.status}")
        org, now = Org.get_by_id(session.org_id), clock.now_ms()
        CheckoutSession.update(status="completed", completed_at=now).where(
            CheckoutSession.id == session.id).execute()
        if session.kind == "plan":
            _subscribe(org, session, now)
        else:
            units = _plans.PACKS[session.item]["units"]
            UsagePack.create(org=org, type=session.item, units=units, created_at=now)
            _invoice(org, f"{session.item} pack ({units} units)", session.amount, session.id)
            _events.record(org, "billing.pack_purchased", target_type="checkout",
                           target_id=session.id, metadata={"type": session.item, "units": units},
                           actor=(session.created_by, None))
        return CheckoutSession.get_by_id(session.id)


def _subscribe(org: Org, session: CheckoutSession, now: int) -> None:
    brand, last_four = engine().card_on_file(org)
    fields = dict(plan=session.item, interval=session.interval or "monthly", status="active",
                  period_start=now, period_end=now + PERIOD_MS[session.interval or "monthly"],
                  ends_at=None, card_brand=brand, card_last_four=last_four, updated_at=now)
    if subscription_of(org) is None:
        Subscription.create(org=org, created_at=now, **fields)
    else:
        Subscription.update(**fields).where(Subscription.org == org).execute()
    _invoice(org, f"{session.item} plan ({fields['interval']})", session.amount, session.id)
    _change_plan(org, session.item, interval=fields["interval"])


def settle(org: Org) -> Org:
    """Renew subscriptions whose period ended; end cancelled ones whose period ended."""
    subscription, now = subscription_of(org), clock.now_ms()
    if subscription is None or subscription.status == "canceled" or now < subscription.period_end:
        return org
    with write_transaction():
        serialize(f"billing:{org.id}")
        subscription = subscription_of(org)
        assert subscription is not None  # read above, and a subscription is never deleted
        if subscription.status == "canceling" and subscription.ends_at is not None and now >= subscription.ends_at:
            Subscription.update(status="canceled", updated_at=now).where(
                Subscription.id == subscription.id).execute()
            _change_plan(org, "free", reason="subscription ended")
        elif subscription.status == "active":
            start, end = subscription.period_start, subscription.period_end
            length = PERIOD_MS[subscription.interval]
            while now >= end:  # one invoice per elapsed period
                start, end = end, end + length
                _invoice(org, f"{subscription.plan} plan ({subscription.interval}) renewal",
                         _plans.price_cents(subscription.plan, subscription.interval))
            Subscription.update(period_start=start, period_end=end, updated_at=now).where(
                Subscription.id == subscription.id).execute()
    return Org.get_by_id(org.id)


def cancel(org: Org) -> Subscription:
    with write_transaction():
        serialize(f"billing:{org.id}")
        subscription = subscription_of(org)
        if subscription is None or subscription.status == "canceled":
            raise Conflict("There is no active subscription to cancel")
        if subscription.status == "canceling":
            raise Conflict("The subscription is already cancelled at period end")
        Subscription.update(status="canceling", ends_at=subscription.period_end,
                            updated_at=clock.now_ms()).where(Subscription.id == subscription.id).execute()
        _events.record(org, "billing.subscription_canceled", target_type="subscription",
                       target_id=subscription.id, metadata={"endsAt": clock.iso(subscription.period_end)})
    return Subscription.get(Subscription.org == org)  # as just updated


def resume(org: Org) -> Subscription:
    with write_transaction():
        serialize(f"billing:{org.id}")
        subscription = subscription_of(org)
        if subscription is None or subscription.status != "canceling":
            raise Conflict("Only a subscription cancelled within its current period can be resumed")
        Subscription.update(status="active", ends_at=None, updated_at=clock.now_ms()).where(
            Subscription.id == subscription.id).execute()
        _events.record(org, "billing.subscription_resumed", target_type="subscription",
                       target_id=subscription.id)
    return Subscription.get(Subscription.org == org)  # as just updated

"""backlex plans and their limits: the one table billing, projects and usage read.

The document lists the plans a checkout sells, its intervals, the packs and the metrics an
alarm watches, but none of their numbers: those are here, and ``KEYED`` ties each table to
the list that keys it (``spec_server.choices``: a value the document adds stops ``--check``).
"""

from __future__ import annotations

from spec_server.choices import Keyed

METRICS = ("requests", "d1", "r2", "neurons")

# None = unlimited. Usage limits are per billing period (a calendar month, UTC); members
# counts active members and pending invitations. Prices in US dollars.
PLANS: dict[str, dict] = {
    "free": {"projects": 2, "members": 5, "requests": 100_000, "d1": 500, "r2": 1_000,
             "neurons": 10_000, "pitr_days": 1, "price_monthly": 0},
    "pro": {"projects": 10, "members": 10, "requests": 10_000_000, "d1": 5_000, "r2": 100_000,
            "neurons": 1_000_000, "pitr_days": 7, "price_monthly": 25},
    "scale": {"projects": 50, "members": 50, "requests": 100_000_000, "d1": 50_000, "r2": 1_000_000,
              "neurons": 10_000_000, "pitr_days": 14, "price_monthly": 99},
    "max": {"projects": None, "members": None, "requests": 1_000_000_000, "d1": 500_000,
            "r2": 10_000_000, "neurons": 100_000_000, "pitr_days": 30, "price_monthly": 399},
}

PLAN_ORDER = ("free", "pro", "scale", "max")

# per billing interval: the months a period is charged (a year costs ten) and its length
INTERVALS: dict[str, dict[str, int]] = {
    "monthly": {"months_charged": 1, "days": 30},
    "annual": {"months_charged": 10, "days": 365},
}

# prepaid usage packs: units added to the period's allowance of one metric, and their price
PACKS: dict[str, dict] = {
    "requests": {"units": 10_000_000, "price": 10},
    "neurons": {"units": 1_000_000, "price": 10},
    "r2": {"units": 100_000, "price": 5},
    "d1": {"units": 5_000, "price": 5},
}


def limit(plan_id: str, name: str):
    return PLANS.get(plan_id, PLANS["free"]).get(name)


def price_cents(plan_id: str, interval: str) -> int:
    return limit(plan_id, "price_monthly") * INTERVALS[interval]["months_charged"] * 100


KEYED = (
    Keyed(__name__, "PLANS", PLANS, "post_org_billing_checkout", "plan"),
    Keyed(__name__, "INTERVALS", INTERVALS, "post_org_billing_checkout", "interval"),
    Keyed(__name__, "PACKS", PACKS, "post_org_billing_packs_checkout", "type"),
    Keyed(__name__, "METRICS", METRICS, "post_org_billing_packs_checkout", "type"),
    Keyed(__name__, "METRICS", METRICS, "post_org_project_alarms", "metric"),
)

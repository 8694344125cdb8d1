"""backlex plans and their limits: the one table billing, projects and usage read."""

from __future__ import annotations

# None = unlimited. Usage limits are per billing period (a calendar month).
PLANS: dict[str, dict] = {
    "free": {"projects": 2, "members": 3, "requests": 100_000, "d1": 500, "r2": 1_000,
             "neurons": 10_000, "pitr_days": 1, "price_monthly": 0},
    "pro": {"projects": 10, "members": 10, "requests": 10_000_000, "d1": 5_000, "r2": 100_000,
            "neurons": 1_000_000, "pitr_days": 7, "price_monthly": 25},
    "scale": {"projects": 50, "members": 50, "requests": 100_000_000, "d1": 50_000, "r2": 1_000_000,
              "neurons": 10_000_000, "pitr_days": 14, "price_monthly": 99},
    "max": {"projects": None, "members": None, "requests": 1_000_000_000, "d1": 500_000,
            "r2": 10_000_000, "neurons": 100_000_000, "pitr_days": 30, "price_monthly": 399},
}


def limit(plan_id: str, name: str):
    return PLANS.get(plan_id, PLANS["free"]).get(name)

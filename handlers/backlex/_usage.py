"""The usage ledger: the one way usage enters (a data plane would call ``record_usage``).

``after_record`` hooks run after each record inside the same transaction (alarms subscribe);
each is called as ``hook(record)`` with the new ``UsageRecord`` (``record.org``,
``record.project_id``, ``record.metric``, ``record.amount``).

The snapshot (current calendar month, live projects) and the history (every month, deleted
projects included) are both sums over the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

import peewee

from generated.backlex import models
from handlers.backlex import _plans
from handlers.backlex.store import Org, Project, Topup, UsagePack, UsageRecord
from spec_server import clock
from spec_server.db import write_transaction

after_record: list[Callable] = []
Rows = Iterable[tuple[Any, ...]]  # what .tuples() yields (peewee's stubs say model instances)


def period_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m")


def period_bounds(period: str) -> tuple[int, int]:
    """Epoch ms of the first instant of the month and of the next month."""
    year, month = map(int, period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def record_usage(org: Org, project: Project, metric: str, amount: int) -> UsageRecord:
    """Add ``amount`` of ``metric`` used by ``project`` now; ValueError on a bad metric/amount."""
    if metric not in _plans.METRICS:
        raise ValueError(f"metric must be one of {', '.join(_plans.METRICS)}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amount must be a positive integer")
    if project.org_id != org.id:
        raise ValueError("the project belongs to another org")
    now = clock.now_ms()
    with write_transaction():
        record = UsageRecord.create(
            org=org, project_id=project.id, project_slug=project.slug, project_name=project.name,
            metric=metric, amount=amount, period=period_of(now), recorded_at=now)
        for hook in after_record:
            hook(record)
    return record


def totals(org: Org, period: str) -> dict[str, int]:
    rows = cast(Rows, UsageRecord.select(UsageRecord.metric, peewee.fn.SUM(UsageRecord.amount).alias("total"))
                .where((UsageRecord.org == org) & (UsageRecord.period == period))
                .group_by(UsageRecord.metric).tuples())
    found = {metric: int(total) for metric, total in rows}
    return {metric: found.get(metric, 0) for metric in _plans.METRICS}


def current_packs(org: Org) -> list[UsagePack]:
    """Packs count in the calendar month they were bought in."""
    start, end = period_bounds(period_of(clock.now_ms()))
    return list(UsagePack.select().where(
        (UsagePack.org == org) & (UsagePack.status == "active")
        & (UsagePack.created_at >= start) & (UsagePack.created_at < end)).order_by(UsagePack.created_at))


def current_topups(org: Org) -> list[Topup]:
    """Top-ups, like packs, count in the calendar month they were granted in."""
    start, end = period_bounds(period_of(clock.now_ms()))
    return list(Topup.select().where((Topup.org == org) & (Topup.created_at >= start)
                                     & (Topup.created_at < end)).order_by(Topup.created_at))


def extra_units(org: Org) -> dict[str, int]:
    """Units that this month's packs and top-ups add to the plan's allowance."""
    extra = dict.fromkeys(_plans.METRICS, 0)
    grants: list[UsagePack | Topup] = [*current_packs(org), *current_topups(org)]
    for grant in grants:
        extra[grant.type] += grant.units
    return extra


def allowance(org: Org) -> dict[str, int | None]:
    extra = extra_units(org)
    allowed = {}
    for metric in _plans.METRICS:
        included = _plans.limit(org.plan_id, metric)
        allowed[metric] = None if included is None else included + extra[metric]
    return allowed


def enforcement(org: Org) -> models.GetOrgBillingResponse200Enforcement:
    """Over the request allowance → throttled; over the D1 or R2 allowance → storage read-only."""
    used, allowed = totals(org, period_of(clock.now_ms())), allowance(org)

    def over(metric):
        return allowed[metric] is not None and used[metric] >= allowed[metric]

    return {"requestThrottled": over("requests"), "storageReadOnly": over("d1") or over("r2")}


def _per_project(org: Org, period: str | None) -> dict[str, dict]:
    query = UsageRecord.select(UsageRecord.project_id, UsageRecord.metric,
                               peewee.fn.SUM(UsageRecord.amount).alias("total"))
    where = UsageRecord.org == org
    if period:
        where &= UsageRecord.period == period
    projects: dict[str, dict] = {}
    for project_id, metric, total in cast(Rows, query.where(where).group_by(
            UsageRecord.project_id, UsageRecord.metric).tuples()):
        projects.setdefault(project_id, dict.fromkeys(_plans.METRICS, 0))[metric] = int(total)
    return projects


def snapshot(org: Org) -> models.Usage:
    now = clock.now_ms()
    period = period_of(now)
    start, end = period_bounds(period)
    used, allowed = totals(org, period), allowance(org)
    by_project = _per_project(org, period)
    live = (Project.select().where((Project.org == org) & Project.deleted_at.is_null())
            .order_by(Project.created_at, Project.id))
    return {
        "plan": org.plan_id,
        "period": {"start": clock.iso(start), "end": clock.iso(end)},
        "metrics": {metric: {"used": used[metric], "limit": allowed[metric],
                             "included": _plans.limit(org.plan_id, metric)}
                    for metric in _plans.METRICS},
        "projects": [{"id": p.id, "slug": p.slug, "name": p.name,
                      "usage": by_project.get(p.id, dict.fromkeys(_plans.METRICS, 0))}
                     for p in live],
        "enforcement": enforcement(org),
    }


def history(org: Org) -> models.UsageHistory:
    """Every month with usage, newest first; each project as it was named, deleted ones marked."""
    rows = cast(Rows, UsageRecord.select(UsageRecord.period, UsageRecord.project_id, UsageRecord.metric,
                                         peewee.fn.SUM(UsageRecord.amount).alias("total"),
                                         peewee.fn.MAX(UsageRecord.project_slug).alias("slug"),
                                         peewee.fn.MAX(UsageRecord.project_name).alias("name"))
                .where(UsageRecord.org == org)
                .group_by(UsageRecord.period, UsageRecord.project_id, UsageRecord.metric).tuples())
    periods: dict[str, dict] = {}
    for period, project_id, metric, total, slug, name in rows:
        entry = periods.setdefault(period, {})
        project = entry.setdefault(project_id, {"id": project_id, "slug": slug, "name": name,
                                                "usage": dict.fromkeys(_plans.METRICS, 0)})
        project["usage"][metric] = int(total)
    deleted = {p.id for p in Project.select(Project.id).where(
        (Project.org == org) & Project.deleted_at.is_null(False))}
    known = {p.id for p in Project.select(Project.id).where(Project.org == org)}
    result = []
    for period in sorted(periods, reverse=True):
        projects = sorted(periods[period].values(), key=lambda p: (p["slug"], p["id"]))
        for project in projects:
            project["deleted"] = project["id"] in deleted or project["id"] not in known
        totals_ = {metric: sum(p["usage"][metric] for p in projects) for metric in _plans.METRICS}
        result.append({"period": period, "totals": totals_, "projects": projects})
    return {"periods": result}

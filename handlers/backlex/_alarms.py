"""Usage alarms: fire once per billing period when a project's usage crosses its threshold.

A project's alarm on ``metric`` fires when that project's usage of the metric in the current
period reaches ``thresholdPct`` % of the org's allowance (the plan limit plus this month's packs
and top-ups). Firing records ``alarm.fired`` through ``_events.record``: the audit log, the
members' notifications and the webhook/integration fan-out all follow from that one event.
"""

from __future__ import annotations

import peewee

from generated.backlex import models
from handlers.backlex import _events, _usage
from handlers.backlex.store import Alarm, Project, UsageRecord
from spec_server import clock


def alarm_view(alarm: Alarm) -> models.Alarm:
    return {
        "id": alarm.id,
        "projectId": alarm.project_id,
        "metric": alarm.metric,
        "thresholdPct": alarm.threshold_pct,
        "lastFiredPeriod": alarm.last_fired_period,
        "lastFiredAt": clock.iso(alarm.last_fired_at),
        "createdAt": clock.iso(alarm.created_at),
    }


def project_usage(project_id: str, metric: str, period: str) -> int:
    total = (UsageRecord.select(peewee.fn.SUM(UsageRecord.amount))
             .where((UsageRecord.project_id == project_id) & (UsageRecord.metric == metric)
                    & (UsageRecord.period == period)).scalar())
    return int(total or 0)


def check(record: UsageRecord) -> None:
    """``_usage.after_record`` hook: runs in the transaction that recorded the usage."""
    alarm = Alarm.get_or_none((Alarm.project == record.project_id) & (Alarm.metric == record.metric))
    if alarm is None or alarm.last_fired_period == record.period:
        return
    project = Project.get_or_none(Project.id == record.project_id)
    if project is None or project.deleted_at:
        return
    allowed = _usage.allowance(record.org)[record.metric]
    if not allowed:
        return  # unlimited: nothing to cross
    used = project_usage(record.project_id, record.metric, record.period)
    if used * 100 < alarm.threshold_pct * allowed:
        return
    # the conditional update makes "once per period" hold even for concurrent records
    claimed = Alarm.update(last_fired_period=record.period, last_fired_at=clock.now_ms()).where(
        (Alarm.id == alarm.id) & ((Alarm.last_fired_period.is_null()) | (Alarm.last_fired_period != record.period))
    ).execute()
    if not claimed:
        return
    _events.record(record.org, "alarm.fired", target_type="alarm", target_id=alarm.id, metadata={
        "slug": project.slug, "projectId": project.id, "metric": alarm.metric,
        "thresholdPct": alarm.threshold_pct, "used": used, "limit": allowed,
        "usedPct": round(used * 100 / allowed, 2), "period": record.period})


if check not in _usage.after_record:
    _usage.after_record.append(check)

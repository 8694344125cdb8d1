"""Small rules every Pathmode handler shares: the caller's workspace, intent lookup,
monotonic timestamps, plan quotas and fire-and-forget events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers.pathmode.store import Intent, Product, Workspace
from spec_server import clock, context, faults
from spec_server.compiled import Prepared, insert_many
from spec_server.config import settings
from spec_server.db import execute_alone, serialize
from spec_server.errors import Forbidden, NotFound
from spec_server.handler_check import module_file
from spec_server.store import OutboxEvent

log = logging.getLogger(__name__)


def caller():
    return context.caller()


def current_workspace_id() -> str:
    return context.caller().workspace_id


# the lookups nearly every request makes: compiled once (see compiled.Prepared)
WORKSPACE = Prepared(lambda ws: Workspace.select().where(Workspace.id == ws), "workspace")
INTENT_IN_WORKSPACE = Prepared(lambda intent, ws: Intent.select().where((Intent.id == intent) & (Intent.workspace == ws)),
                               "intent", "workspace")
PRODUCT_IN_WORKSPACE = Prepared(
    lambda product, ws: Product.select().where((Product.id == product) & (Product.workspace == ws)),
    "product", "workspace")


def current_workspace() -> Workspace:
    """The caller's workspace: the row authentication read with the credential, else a query."""
    found = context.caller().workspace
    if found is None:
        found = WORKSPACE.instance(workspace=current_workspace_id())
    if found is None:
        raise NotFound("Workspace not found")
    return found


def intent_in_workspace(intent_id: str, ws_id: str | None = None) -> Intent:
    """The intent if it belongs to the caller's workspace; 404 otherwise (no leak)."""
    ws_id = ws_id or current_workspace_id()
    if faults.cross_tenant():  # planted fault: the lookup stops filtering by workspace
        found = Intent.get_or_none(Intent.id == intent_id)
    else:
        found = INTENT_IN_WORKSPACE.instance(intent=intent_id, workspace=ws_id)
    if found is None:
        raise NotFound("Intent not found")
    return found


def next_timestamp(previous: int | None) -> int:
    """Now, but always later than ``previous`` (so "updated after" holds within one ms)."""
    now = clock.now_ms()
    return now if previous is None or now > previous else previous + 1


# plan quotas per workspace (README "Pathmode rate limits and plan limits"); None = unlimited.
# Not in the document: hand-written once here, overridable by PLAN_LIMITS
PLAN_LIMITS: dict[str, dict[str, int | None]] = {
    "free": {"intents": 25, "evidence_items": 100, "api_keys": 2},
    "pro": {"intents": 500, "evidence_items": 5000, "api_keys": 10},
    "team": {"intents": None, "evidence_items": None, "api_keys": 50},
}


def plan_limit_findings(operations) -> list[str]:
    """PLAN_LIMITS against the operations: each quota an operation's description names (its
    ``plan_limit_reached`` metric, the generated table's ``quota_metrics``) needs a value in
    every plan, and a quota no operation names is left over. ``--check`` and start-up stop on any."""
    named = {metric: op for op in operations for metric in op.quota_metrics}
    lines = []
    for metric, op in sorted(named.items()):
        lacking = [plan for plan, limits in PLAN_LIMITS.items() if metric not in limits]
        if lacking:
            module, _, function = op.handler.rpartition(".")
            where = f"{module_file(module)}:{function}"
            lines.append(f"handlers/pathmode/_common.py: PLAN_LIMITS has no {metric!r} quota in {', '.join(lacking)}, "
                         f"which {op.method} {op.path} ({op.operation_id}) is limited by: add it (None: unlimited), "
                         f"and reserve it in {where} (reserve_quota)")
    leftover = sorted({metric for limits in PLAN_LIMITS.values() for metric in limits} - set(named))
    lines += [f"handlers/pathmode/_common.py: PLAN_LIMITS quota {metric!r} is named by no operation of the "
              f"document: remove it, or find the operation that now states it" for metric in leftover]
    return lines


def plan_limit(plan: str, metric: str) -> int | None:
    overrides = settings().plan_limits.get(plan, {})
    return overrides[metric] if metric in overrides else PLAN_LIMITS.get(plan, {}).get(metric)


def reserve_quota(ws: Workspace, metric: str, model, *, inserted: int = 0) -> None:
    """403 plan_limit_reached when the workspace already holds as many ``model`` rows as its
    plan allows for ``metric``. Call inside the write transaction that creates the row, before
    the insert or after it (``inserted``: the rows it added, then left out of ``current``;
    the 403 rolls them back): the count is serialized per workspace and metric, so concurrent
    creates cannot overshoot."""
    limit = plan_limit(ws.plan, metric)
    if limit is None:
        return
    serialize(f"quota:{metric}:{ws.id}")
    current = model.select().where(model.workspace == ws.id).count() - inserted
    if current >= limit:
        raise Forbidden("plan_limit_reached",
                        extra={"metric": metric, "current": current, "limit": limit, "plan": ws.plan})


def product_in_workspace(product_id: str, ws_id: str) -> Product:
    """The product if it belongs to the workspace; 404 otherwise."""
    found = PRODUCT_IN_WORKSPACE.instance(product=product_id, workspace=ws_id)
    if found is None:
        raise NotFound("Product not found")
    return found


@dataclass(frozen=True)
class Event:
    """A side effect for a forwarder: a Slack message or an analytics event about ``subject_id``."""

    channel: str  # slack, analytics
    kind: str
    subject_id: str | None
    payload: dict


def fire_and_forget(*events: Event) -> None:
    """Record side effects (Slack, analytics) for a forwarder; never fails the request.

    Called inside the transaction of the change they report (one commit, and no event for a
    change that rolled back), all in one statement, which a failure undoes alone
    (``db.execute_alone``; on PostgreSQL it travels with the COMMIT)."""

    def lost(error: Exception) -> None:  # a lost notification must not fail the write that caused it
        log.warning("could not record events %s", [f"{event.channel}/{event.kind}" for event in events],
                    exc_info=error)

    try:
        if "notifier" in settings().faults:
            raise RuntimeError("notifier fault")
        now = clock.now_ms()
        insert_many(OutboxEvent, [
            {"channel": event.channel, "kind": event.kind, "subject_id": event.subject_id,
             "payload": event.payload, "created_at": now} for event in events],
            execute=lambda sql, params: execute_alone(sql, params, on_failure=lost))
    except Exception as error:
        lost(error)

"""The Pathmode store: every table of the Pathmode API in one place.

Timestamps are epoch milliseconds (``BigIntegerField``), rendered as ISO 8601 at the edge.
JSON columns hold what the API exposes as free-form objects.
"""

from __future__ import annotations

from typing import Any

import peewee

from spec_server.db import BaseModel, ForeignKeyId, JSONField, new_id, ordered_id
from spec_server.revisions import RevisionField


class User(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    email = peewee.CharField(unique=True)
    name = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_user"


class Session(BaseModel):
    """A dashboard login; the cookie carries the token, the table only its digest."""

    token_digest = peewee.CharField(primary_key=True)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    user_id: ForeignKeyId[str]
    expires_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_session"


class Workspace(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    name = peewee.CharField()
    url_key = peewee.CharField(unique=True)
    tags: JSONField[list[str]] = JSONField(default=list)
    settings: JSONField[dict[str, Any]] = JSONField(default=dict)  # {"strategy": ...}
    plan = peewee.CharField(default="free")  # free | pro | team
    flags: JSONField[dict[str, Any]] = JSONField(default=dict)  # {"implementation_context_enabled": bool}
    repository = peewee.TextField(null=True)  # path or git URL bound for analysis
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_workspace"


class Membership(BaseModel):
    id: peewee.AutoField[int]  # peewee's implicit key
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    workspace_id: ForeignKeyId[str]
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    user_id: ForeignKeyId[str]
    role = peewee.CharField()  # owner | admin | editor | viewer

    class Meta:
        table_name = "pm_membership"
        indexes = ((("workspace", "user"), True),)


class Product(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    workspace_id: ForeignKeyId[str]
    name = peewee.CharField()
    slug = peewee.CharField()
    description = peewee.TextField(null=True)
    product_vision = peewee.TextField(null=True)
    north_star = peewee.TextField(null=True)
    target_audience = peewee.TextField(null=True)
    default_context: JSONField[dict[str, Any] | None] = JSONField(null=True)
    manifest: JSONField[Any] = JSONField(null=True)
    icon = peewee.CharField(null=True)
    color = peewee.CharField(null=True)
    status = peewee.CharField(default="active")
    is_example = peewee.BooleanField(default=False)
    created_by = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    updated_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_product"
        indexes = ((("workspace", "created_at"), False),)


class ConstitutionRule(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    workspace_id: ForeignKeyId[str]
    category = peewee.CharField()
    text = peewee.TextField()
    rationale = peewee.TextField(null=True)
    scope = peewee.CharField(null=True)
    enforcement = peewee.CharField(null=True)  # required | advisory; null reads as required
    examples: JSONField[Any] = JSONField(null=True)
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_constitution_rule"
        indexes = ((("workspace", "created_at"), False),)


class ApiKey(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    workspace_id: ForeignKeyId[str]
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    user_id: ForeignKeyId[str]
    name = peewee.CharField()
    key_digest = peewee.CharField(unique=True)
    key_prefix = peewee.CharField()
    scopes: JSONField[list[str]] = JSONField(default=list)
    last_used_at = peewee.BigIntegerField(null=True)
    expires_at = peewee.BigIntegerField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_api_key"
        indexes = ((("user", "created_at"), False),)


class Intent(BaseModel):
    id = peewee.CharField(primary_key=True, default=ordered_id)  # time-ordered: see db.ordered_id
    # no index of its own: (workspace, updated_at) below serves every lookup by workspace
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    workspace_id: ForeignKeyId[str]
    product = peewee.ForeignKeyField(Product, null=True, on_delete="SET NULL")
    product_id: ForeignKeyId[str | None]
    stage_name = peewee.CharField(null=True)
    status = peewee.CharField(default="draft")
    version = peewee.IntegerField(default=1)
    title = peewee.TextField()  # upstream column user_goal
    objective = peewee.TextField()
    problem_severity = peewee.CharField(null=True)
    outcomes: JSONField[list[dict[str, Any]]] = JSONField(default=list)  # StructuredOutcome[]: {id, text, priority?}
    health_metrics: JSONField[list[str]] = JSONField(default=list)
    scope: JSONField[dict[str, Any] | None] = JSONField(null=True)
    strategic_alignment: JSONField[Any] = JSONField(null=True)
    alignment_notes = peewee.TextField(null=True)
    context: JSONField[dict[str, Any]] = JSONField(default=dict)
    constraints: JSONField[list[str]] = JSONField(default=list)
    verification: JSONField[dict[str, Any]] = JSONField(default=dict)
    external_links: JSONField[list[Any]] = JSONField(default=list)
    evidence_anchors: JSONField[dict[str, list[str]]] = JSONField(default=dict)
    implementation_context: JSONField[dict[str, Any] | None] = JSONField(null=True)
    verification_result: JSONField[dict[str, Any] | None] = JSONField(null=True)
    share_token = peewee.CharField(null=True, unique=True)
    created_at = peewee.BigIntegerField()
    updated_at = peewee.BigIntegerField()
    shipped_at = peewee.BigIntegerField(null=True)
    verified_at = peewee.BigIntegerField(null=True)
    revision = RevisionField()  # raised by the database on every update: the list's render key

    class Meta:
        table_name = "pm_intent"
        indexes = ((("workspace", "updated_at"), False), (("workspace", "status", "updated_at"), False))


class EdgeCase(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    intent = peewee.ForeignKeyField(Intent, on_delete="CASCADE", backref="edge_cases")
    intent_id: ForeignKeyId[str]
    scenario = peewee.TextField()
    expected_behavior = peewee.TextField()
    position = peewee.IntegerField()

    class Meta:
        table_name = "pm_edge_case"
        indexes = ((("intent", "position"), False),)


class IntentRelation(BaseModel):
    id: peewee.AutoField[int]  # peewee's implicit key
    intent = peewee.ForeignKeyField(Intent, on_delete="CASCADE", backref="relations")
    intent_id: ForeignKeyId[str]
    target_id = peewee.CharField()
    type = peewee.CharField()
    position = peewee.IntegerField(default=0)

    class Meta:
        table_name = "pm_intent_relation"


class Note(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    intent = peewee.ForeignKeyField(Intent, on_delete="CASCADE")
    intent_id: ForeignKeyId[str]
    note = peewee.TextField()
    source = peewee.CharField(default="manual")
    created_by = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_note"
        indexes = ((("intent", "created_at"), False),)


class Finding(BaseModel):
    """One write-back finding; a row each, so concurrent appends never lose one."""

    id = peewee.CharField(primary_key=True, default=new_id)
    intent = peewee.ForeignKeyField(Intent, on_delete="CASCADE")
    intent_id: ForeignKeyId[str]
    assumption = peewee.TextField()
    finding = peewee.TextField()
    target = peewee.TextField(null=True)
    correction = peewee.TextField(null=True)
    source = peewee.TextField(null=True)
    status = peewee.CharField(default="open")  # open | reconciled | dismissed
    recorded_at = peewee.BigIntegerField()
    reconciled_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "pm_finding"
        indexes = ((("intent", "recorded_at"), False),)


class Evidence(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    workspace_id: ForeignKeyId[str]
    product = peewee.ForeignKeyField(Product, null=True, on_delete="SET NULL")
    product_id: ForeignKeyId[str | None]
    type = peewee.CharField()
    content = peewee.TextField()
    source = peewee.TextField(null=True)
    source_url = peewee.TextField(null=True)
    severity = peewee.CharField(null=True)
    sentiment = peewee.CharField(null=True)
    tags: JSONField[list[str]] = JSONField(default=list)
    stage = peewee.CharField(null=True)
    status = peewee.CharField(default="active")
    triage_status = peewee.CharField(default="inbox")
    created_by = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    updated_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_evidence"
        indexes = ((("workspace", "status", "created_at"), False),)


class IntentEvidence(BaseModel):
    """The link table; an evidence item's ``linkedIntentIds`` is read from it too, so the
    two sides of the link cannot disagree."""

    id: peewee.AutoField[int]  # peewee's implicit key
    intent = peewee.ForeignKeyField(Intent, on_delete="CASCADE")
    intent_id: ForeignKeyId[str]
    evidence = peewee.ForeignKeyField(Evidence, on_delete="CASCADE")
    evidence_id: ForeignKeyId[str]
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_intent_evidence"
        indexes = ((("intent", "evidence"), True), (("evidence",), False))


class OutcomeMeasurement(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    intent = peewee.ForeignKeyField(Intent, on_delete="CASCADE")
    intent_id: ForeignKeyId[str]
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    workspace_id: ForeignKeyId[str]
    outcome_index = peewee.DoubleField()  # any finite JSON number (PostgreSQL REAL is too narrow)
    outcome_text = peewee.TextField()
    baseline_value = peewee.TextField(null=True)
    actual_value = peewee.TextField()
    unit = peewee.CharField(null=True)
    met = peewee.BooleanField(null=True)
    source = peewee.CharField(default="manual")
    recorded_by = peewee.CharField(null=True)
    measured_at = peewee.BigIntegerField()

    class Meta:
        table_name = "pm_outcome_measurement"
        indexes = ((("intent", "outcome_index", "measured_at"), False),)


MODELS = (User, Session, Workspace, Membership, Product, ConstitutionRule, ApiKey, Intent,
          EdgeCase, IntentRelation, Note, Finding, Evidence, IntentEvidence, OutcomeMeasurement)

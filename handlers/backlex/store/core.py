"""Users, sessions, organizations, memberships, projects, audit events, notifications."""

from __future__ import annotations

from typing import Any

import peewee

from spec_server.db import BaseModel, ForeignKeyId, JSONField, new_id
from spec_server.revisions import RevisionField

__all__ = ["User", "Session", "Org", "Member", "Project", "AuditEvent", "Notification",
           "MODELS"]


class User(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    email = peewee.CharField(unique=True)
    name = peewee.CharField(null=True)
    email_verified = peewee.BooleanField(default=True)
    title = peewee.CharField(null=True)
    timezone = peewee.CharField(null=True)
    preferences: JSONField[dict[str, Any] | None] = JSONField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_user"


class Session(BaseModel):
    """A better-auth session; the cookie carries the token, the table only its digest."""

    token_digest = peewee.CharField(primary_key=True)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    user_id: ForeignKeyId[str]
    expires_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_session"


class Org(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    slug = peewee.CharField(unique=True)
    name = peewee.CharField()
    plan_id = peewee.CharField(default="free")
    residency = peewee.CharField(default="global")
    default_region = peewee.CharField(default="fra")
    ip_allowlist: JSONField[list[str]] = JSONField(default=list)
    webhook_url = peewee.TextField(null=True)
    status = peewee.CharField(default="active")
    purpose = peewee.CharField(null=True)
    team_size = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    deleted_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_org"


class Member(BaseModel):
    """A seat in an org: an active member, or a pending invitation (user null)."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    user = peewee.ForeignKeyField(User, null=True, on_delete="CASCADE")
    user_id: ForeignKeyId[str | None]
    email = peewee.CharField()
    role = peewee.CharField()  # owner | admin | developer | viewer
    status = peewee.CharField(default="active")  # active | pending
    invited_by = peewee.CharField(null=True)
    invite_token_digest = peewee.CharField(null=True, unique=True)
    invite_expires_at = peewee.BigIntegerField(null=True)
    created_at = peewee.BigIntegerField()
    joined_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_member"
        indexes = ((("org", "email"), True), (("user", "org"), False))


class Project(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    slug = peewee.CharField()
    name = peewee.CharField()
    status = peewee.CharField(default="provisioning")
    environment = peewee.CharField(default="production")
    region = peewee.CharField(null=True)
    db_type = peewee.CharField(default="d1")
    template = peewee.CharField(null=True)
    template_version = peewee.CharField(null=True)
    admin_credential_digest = peewee.CharField(null=True)
    failure_reason = peewee.TextField(null=True)
    created_at = peewee.BigIntegerField()
    updated_at = peewee.BigIntegerField()
    deleted_at = peewee.BigIntegerField(null=True)
    # live projects are unique by slug within an org; a deleted one frees its slug
    live_slug = peewee.CharField(null=True)
    revision = RevisionField()  # raised by the database on every update: the list's render key

    class Meta:
        table_name = "bx_project"
        indexes = ((("org", "live_slug"), True), (("org", "created_at"), False))


class AuditEvent(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    actor_id = peewee.CharField(null=True)
    actor_email = peewee.CharField(null=True)
    action = peewee.CharField()
    target_type = peewee.CharField(null=True)
    target_id = peewee.CharField(null=True)
    metadata: JSONField[dict[str, Any]] = JSONField(default=dict)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_audit_event"
        indexes = ((("org", "created_at"), False), (("org", "action", "created_at"), False))


class Notification(BaseModel):
    """A notification addressed to one user of an org."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    user_id: ForeignKeyId[str]
    kind = peewee.CharField()
    title = peewee.TextField()
    body = peewee.TextField(null=True)
    data: JSONField[dict[str, Any]] = JSONField(default=dict)
    created_at = peewee.BigIntegerField()
    read_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_notification"
        indexes = ((("org", "user", "created_at"), False),)




MODELS = (User, Session, Org, Member, Project, AuditEvent, Notification)

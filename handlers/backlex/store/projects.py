"""Everything that hangs off a project: backups, domains, branches, deploys, runtime errors, alarms."""

from __future__ import annotations

from typing import Any

import peewee

from handlers.backlex.store.core import Org, Project
from spec_server.db import BaseModel, ForeignKeyId, JSONField, new_id

__all__ = ["Backup", "Domain", "Branch", "Deploy", "TenantError", "Alarm", "MODELS"]


class Backup(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    project_id: ForeignKeyId[str]
    kind = peewee.CharField()  # manual | auto
    status = peewee.CharField(default="completed")
    size_bytes = peewee.BigIntegerField(default=0)
    created_at = peewee.BigIntegerField()
    last_restored_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_backup"
        indexes = ((("project", "created_at"), False),)


class Domain(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    project_id: ForeignKeyId[str]
    # normalised (lower case, no trailing dot); one claim per org, any number of pending claims
    # across orgs, one verified claim (the partial unique index below)
    hostname = peewee.CharField(index=True)
    status = peewee.CharField(default="pending")  # pending | verified
    token = peewee.CharField()  # public: it goes into a DNS TXT record
    reason = peewee.TextField(null=True)
    checked_at = peewee.BigIntegerField(null=True)
    verified_at = peewee.BigIntegerField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_domain"


# the first org to verify a hostname holds it: no second verified row can exist, whatever races
Domain.add_index(Domain.index(Domain.hostname, unique=True, name="bx_domain_verified_hostname")
                 .where(peewee.SQL("status = 'verified'")))


class Branch(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    project_id: ForeignKeyId[str]
    name = peewee.CharField()
    pr_number = peewee.IntegerField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_branch"
        indexes = ((("project", "name"), True),)


class Deploy(BaseModel):
    """Anything that changed what runs: provisioning, upgrades, restores, branch deploys."""

    id = peewee.CharField(primary_key=True, default=new_id)
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    project_id: ForeignKeyId[str]
    kind = peewee.CharField()  # provision | upgrade | restore | pitr_restore | branch
    status = peewee.CharField()  # queued | succeeded | failed
    ref = peewee.CharField(null=True)  # branch name, backup id, template version...
    template_version = peewee.CharField(null=True)
    message = peewee.TextField(null=True)
    created_at = peewee.BigIntegerField()
    finished_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_deploy"
        indexes = ((("project", "created_at"), False),)


class TenantError(BaseModel):
    """A runtime error reported by a project's worker (``_projects.ingest_error``)."""

    id = peewee.CharField(primary_key=True, default=new_id)
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    project_id: ForeignKeyId[str]
    message = peewee.TextField()
    level = peewee.CharField(default="error")
    path = peewee.TextField(null=True)
    stack = peewee.TextField(null=True)
    context: JSONField[dict[str, Any] | None] = JSONField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_tenant_error"
        indexes = ((("project", "created_at"), False),)


class Alarm(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    project_id: ForeignKeyId[str]
    metric = peewee.CharField()  # requests | d1 | r2
    threshold_pct = peewee.IntegerField()
    last_fired_period = peewee.CharField(null=True)  # "YYYY-MM": fires once per period
    last_fired_at = peewee.BigIntegerField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_alarm"
        indexes = ((("project", "metric"), True),)


MODELS = (Backup, Domain, Branch, Deploy, TenantError, Alarm)

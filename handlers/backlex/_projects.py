"""The project lifecycle: one state machine, the jobs that move projects through it, their views.

    state          action              next state
    provisioning   (job succeeds)      active
    provisioning   (job fails)         failed
    failed         provision-retry     provisioning   (enqueues the provisioning job again)
    active         pause               paused
    paused         resume              active
    any live       delete              deleted        (soft: hidden, 404, usage history kept)

Other actions keep the state but need one (``REQUIRES``): reprovision-admin, upgrade, restores
and branch deploys need ``active``; a backup needs ``active`` or ``paused``. An action invalid in
the current state is 409 with ``details: {state, allowed}``.

The jobs (``LIFECYCLE`` lane) may run more than once (``_jobs``): each acts only from the state
it expects, in one transaction, so a second run is a no-op. A job that raises is retried
(``RETRIES``, 2 s then doubling); given up, provisioning leaves the project ``failed`` and a
deploy ``failed``, with the reason, so ``provision-retry`` (or a new upgrade) applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import SimpleNamespace

from huey import crontab

from generated.backlex import models
from handlers.backlex import _events
from handlers.backlex._jobs import LIFECYCLE, job, periodic
from handlers.backlex.store import Backup, Deploy, Domain, Project, TenantError
from spec_server import clock, credentials, db
from spec_server.db import write_transaction
from spec_server.errors import Conflict, NotFound

log = logging.getLogger(__name__)

LIVE_STATES = ("provisioning", "active", "failed", "paused")

TRANSITIONS: dict[str, dict[str, str]] = {
    "provisioned": {"provisioning": "active"},
    "provision_failed": {"provisioning": "failed"},
    "provision_retry": {"failed": "provisioning"},
    "pause": {"active": "paused"},
    "resume": {"paused": "active"},
    "delete": {state: "deleted" for state in LIVE_STATES},
}

REQUIRES: dict[str, tuple[str, ...]] = {
    "reprovision_admin": ("active",),
    "upgrade": ("active",),
    "backup": ("active", "paused"),
    "restore": ("active",),
    "branch": ("active",),
}

# Worker template versions, oldest first; new projects get the latest.
TEMPLATE_VERSIONS = ("2025.10.0", "2026.02.0", "2026.06.1")
LATEST_TEMPLATE_VERSION = TEMPLATE_VERSIONS[-1]
ADMIN_CREDENTIAL_PREFIX = "bxadm_"


class ProvisioningError(Exception):
    """A provisioning or upgrade step failed; the message becomes the project's failure reason."""


def allowed_states(action: str) -> tuple[str, ...]:
    if action in TRANSITIONS:
        return tuple(TRANSITIONS[action])
    return REQUIRES[action]


def require(project: Project, action: str) -> None:
    allowed = allowed_states(action)
    if project.status not in allowed:
        raise Conflict(f"Cannot {action.replace('_', '-')} a project that is {project.status}",
                       details={"state": project.status, "allowed": list(allowed)})


def transition(project: Project, action: str, **changes) -> Project:
    """Move ``project`` by ``action`` (409 when invalid); the caller holds the transaction."""
    require(project, action)
    now = clock.now_ms()
    changes.update(status=TRANSITIONS[action][project.status], updated_at=max(now, project.updated_at + 1))
    Project.update(**changes).where(Project.id == project.id).execute()
    return Project.get_by_id(project.id)


def find_live(org, project_slug: str) -> Project:
    project = Project.get_or_none((Project.org == org) & (Project.live_slug == project_slug)
                                  & Project.deleted_at.is_null())
    if project is None:
        raise NotFound("Project not found")
    return project


def project_view(project: Project | SimpleNamespace) -> models.Project:
    """A stored project, or its light row from a compiled list (the same attributes)."""
    return {
        "id": project.id,
        "orgId": project.org_id,
        "slug": project.slug,
        "name": project.name,
        "status": project.status,
        "environment": project.environment,
        "primaryRegion": project.region,
        "region": project.region,
        "dbType": project.db_type,
        "template": project.template,
        "templateVersion": project.template_version,
        "failureReason": project.failure_reason,
        "createdAt": clock.iso(project.created_at),
        "updatedAt": clock.iso(project.updated_at),
    }


def deploy_view(deploy: Deploy) -> models.Deploy:
    return {
        "id": deploy.id,
        "projectId": deploy.project_id,
        "kind": deploy.kind,
        "status": deploy.status,
        "ref": deploy.ref,
        "templateVersion": deploy.template_version,
        "message": deploy.message,
        "createdAt": clock.iso(deploy.created_at),
        "finishedAt": clock.iso(deploy.finished_at),
    }


def record_deploy(project: Project, kind: str, *, status: str = "queued", ref: str | None = None,
                  template_version: str | None = None, message: str | None = None) -> Deploy:
    now = clock.now_ms()
    return Deploy.create(project=project, kind=kind, status=status, ref=ref,
                         template_version=template_version, message=message, created_at=now,
                         finished_at=None if status == "queued" else now)


def finish_deploy(deploy_id: str, status: str, message: str | None = None) -> None:
    Deploy.update(status=status, message=message, finished_at=clock.now_ms()).where(
        Deploy.id == deploy_id).execute()


# --- provisioning ---------------------------------------------------------------------------
# The steps a real platform would run; each may raise ProvisioningError. Tests replace one to
# make provisioning fail.

def create_database(project: Project) -> None:
    """Create the project's D1 database."""


def deploy_worker(project: Project, version: str) -> None:
    """Deploy the worker template at ``version``."""


PROVISIONING_STEPS: list[Callable[..., None]] = [create_database, deploy_worker]
RETRIES = 5  # a job that raised (a lost connection, a locked database) runs again 2, 4, ... 32 s later


def provisioning_given_up(project_id: str, org_id: str | None = None, *, reason: str) -> None:
    """The provisioning job will not run again: the project is ``failed`` (``provision-retry`` applies)."""
    with write_transaction():
        project = Project.get_or_none(Project.id == project_id)
        if project is None or project.status != "provisioning" or project.deleted_at:
            return
        message = f"Provisioning did not finish: {reason}"[:500]
        project = transition(project, "provision_failed", failure_reason=message)
        _events.record(project.org, "project.provision_failed", target_type="project",
                       target_id=project.id, metadata={"slug": project.slug, "reason": message})


def deploy_given_up(deploy_id: str, org_id: str | None = None, *, reason: str) -> None:
    """An upgrade or deploy job will not run again: its queued deploy is ``failed``."""
    with write_transaction():
        deploy = Deploy.get_or_none(Deploy.id == deploy_id)
        if deploy is None or deploy.status != "queued":
            return
        message = f"The deploy did not finish: {reason}"[:500]
        finish_deploy(deploy.id, "failed", message)
        if deploy.kind == "upgrade":
            project = Project.get_by_id(deploy.project_id)
            _events.record(project.org, "project.upgrade_failed", target_type="project", target_id=project.id,
                           metadata={"slug": project.slug, "from": deploy.ref, "to": deploy.template_version,
                                     "error": message})


@job(LIFECYCLE, retries=RETRIES, retry_delay=2, on_give_up=provisioning_given_up)
def provision(project_id: str, org_id: str | None = None) -> None:
    """Provisioning job: ``provisioning`` → ``active`` | ``failed``; a no-op in any other state."""
    with write_transaction():
        project = Project.get_or_none(Project.id == project_id)
        if project is None or project.status != "provisioning" or project.deleted_at:
            return  # already handled (a duplicate or stale job)
        deploy = record_deploy(project, "provision", template_version=LATEST_TEMPLATE_VERSION)
        try:
            for step in PROVISIONING_STEPS:
                if step is deploy_worker:
                    step(project, LATEST_TEMPLATE_VERSION)
                else:
                    step(project)
        except ProvisioningError as error:
            finish_deploy(deploy.id, "failed", str(error))
            project = transition(project, "provision_failed", failure_reason=str(error))
            _events.record(project.org, "project.provision_failed", target_type="project",
                           target_id=project.id, metadata={"slug": project.slug, "reason": str(error)})
            return
        finish_deploy(deploy.id, "succeeded")
        # the first admin credential is never shown; reprovision-admin mints one to show
        secret = credentials.mint(ADMIN_CREDENTIAL_PREFIX, 24)
        project = transition(project, "provisioned", failure_reason=None,
                             template_version=LATEST_TEMPLATE_VERSION,
                             admin_credential_digest=credentials.digest(secret))
        _events.record(project.org, "project.provisioned", target_type="project",
                       target_id=project.id, metadata={"slug": project.slug,
                                                       "templateVersion": LATEST_TEMPLATE_VERSION})


# --- upgrades -------------------------------------------------------------------------------

@job(LIFECYCLE, retries=RETRIES, retry_delay=2, on_give_up=deploy_given_up)
def upgrade(deploy_id: str, org_id: str | None = None) -> None:
    """Upgrade job: deploy the template version its queued ``upgrade`` deploy names."""
    with write_transaction():
        deploy = Deploy.get_or_none(Deploy.id == deploy_id)
        if deploy is None or deploy.status != "queued":
            return  # already run
        project = Project.get_by_id(deploy.project_id)
        current, target = deploy.ref, deploy.template_version
        assert target is not None  # an upgrade deploy is queued with the version it deploys
        if project.status != "active" or project.deleted_at:
            finish_deploy(deploy.id, "failed", f"The project is {project.status}")
            return
        try:
            deploy_worker(project, target)
        except ProvisioningError as error:
            finish_deploy(deploy.id, "failed", str(error))
            _events.record(project.org, "project.upgrade_failed", target_type="project",
                           target_id=project.id, metadata={"slug": project.slug, "from": current,
                                                           "to": target, "error": str(error)})
            return
        finish_deploy(deploy.id, "succeeded")
        Project.update(template_version=target, updated_at=max(clock.now_ms(), project.updated_at + 1)).where(
            Project.id == project.id).execute()
        _events.record(project.org, "project.upgraded", target_type="project", target_id=project.id,
                       metadata={"slug": project.slug, "from": current, "to": target})


def upgrade_outcome(deploy: Deploy) -> models.PostOrgProjectUpgradeResponse200 | None:
    """The documented answer of a finished upgrade deploy (None while it is queued)."""
    target = deploy.template_version
    assert target is not None  # an upgrade deploy is queued with the version it deploys
    if deploy.status == "succeeded":
        return {"status": "upgraded", "from": deploy.ref, "to": target}
    if deploy.status == "failed":
        return {"status": "failed", "from": deploy.ref, "to": target,
                "reason": "The new template version failed to deploy", "error": deploy.message or ""}
    return None


# --- deploys (restores, branch deploys) ------------------------------------------------------

@job(LIFECYCLE, retries=RETRIES, retry_delay=2, on_give_up=deploy_given_up)
def run_deploy(deploy_id: str, org_id: str | None = None) -> None:
    """Deploy job for restores and branch deploys: finishes the queued deploy that recorded it."""
    with write_transaction():
        deploy = Deploy.get_or_none(Deploy.id == deploy_id)
        if deploy is None or deploy.status != "queued":
            return  # already run
        project = Project.get_by_id(deploy.project_id)
        finish_deploy(deploy.id, "succeeded")
        if deploy.kind == "restore":
            Backup.update(last_restored_at=clock.now_ms()).where(Backup.id == deploy.ref).execute()
        action = "project.restored" if deploy.kind in ("restore", "pitr_restore") else "deploy.succeeded"
        _events.record(project.org, action, target_type="deploy", target_id=deploy.id,
                       metadata={"slug": project.slug, "kind": deploy.kind, "ref": deploy.ref})


# --- automatic backups ----------------------------------------------------------------------

def take_backup(project: Project, kind: str) -> Backup:
    backup = Backup.create(project=project, kind=kind, status="completed",
                           size_bytes=Deploy.select().where(Deploy.project == project).count() * 4096 + 65536,
                           created_at=clock.now_ms())
    _events.record(project.org, "backup.created", target_type="backup", target_id=backup.id,
                   metadata={"project": project.slug, "kind": kind})
    return backup


AUTO_BACKUP_EVERY_MS = 20 * 3_600_000


def take_automatic_backups() -> int:
    """One ``auto`` backup of every active project (the consumers run this daily). A project
    with an auto backup in the last 20 hours is skipped, so several consumers (each with its
    own scheduler) still take one a day."""
    count = 0
    for project in Project.select().where((Project.status == "active") & Project.deleted_at.is_null()):
        with write_transaction():
            db.serialize(f"auto-backup:{project.id}")
            recent = Backup.select().where((Backup.project == project) & (Backup.kind == "auto")
                                           & (Backup.created_at > clock.now_ms() - AUTO_BACKUP_EVERY_MS))
            if recent.exists():
                continue
            take_backup(project, "auto")
        count += 1
    return count


@periodic(crontab(minute="0", hour="3"), name="daily_backups")
def daily_backups() -> None:
    with db.connection():
        take_automatic_backups()


# --- runtime errors -------------------------------------------------------------------------

def ingest_error(project_id: str, message: str, *, level: str = "error", path: str | None = None,
                 stack: str | None = None, context: dict | None = None) -> TenantError:
    """The one way runtime errors enter (a project's worker reports them; also ``spec-server
    ingest-error``). Unknown or deleted projects are NotFound."""
    with write_transaction():
        project = Project.get_or_none((Project.id == project_id) & Project.deleted_at.is_null())
        if project is None:
            raise NotFound("Project not found")
        return TenantError.create(project=project, message=message[:4000], level=level, path=path,
                                  stack=stack, context=context, created_at=clock.now_ms())


def release_domains(project: Project) -> None:
    """A deleted project gives its hostnames back (another org's claim may then verify)."""
    Domain.delete().where(Domain.project == project).execute()

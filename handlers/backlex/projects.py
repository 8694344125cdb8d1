"""backlex — Projects: operations tagged 'Projects'.

The lifecycle (state machine, jobs) lives in ``_projects``; alarms in ``_alarms``; DNS in
``_dns``. Every change is recorded through ``_events.record``.
"""

from __future__ import annotations

import re
import secrets
from typing import cast

from generated.backlex import models
from handlers.backlex import _alarms, _dns, _events, _plans, _projects
from handlers.backlex._api import current_org
from handlers.backlex._projects import find_live, project_view, require
from handlers.backlex._slugs import slugify
from handlers.backlex.store import Alarm, Backup, Branch, Deploy, Domain, Project, TenantError
from spec_server import clock, credentials, jsonio
from spec_server.compiled import Prepared, row_reader
from spec_server.db import serialize, write_transaction
from spec_server.errors import Conflict, NotFound, Unprocessable
from spec_server.revisions import RenderedRows, whole_rows_of
from spec_server.typed_bodies import with_undeclared
from spec_server.waiting import Later

LIST_LIMIT = 100
UPGRADE_WAIT_SECONDS = 30
HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# also the runtime document's pattern (specs/backlex.overlay.json)
BRANCH_NAME = re.compile(r"^[A-Za-z0-9_]+((-+|[._/])[A-Za-z0-9_]+)*$")
DAY_MS = 86_400_000


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, details={"formErrors": [], "fieldErrors": {field: [message]}})


# --- projects -------------------------------------------------------------------------------

# compiled once (compiled.Prepared): ids and revisions, no SQL built per request
LIVE_PROJECTS_OF = Prepared(lambda org: Project.select(Project.id, Project.revision)
                            .where((Project.org == org) & Project.deleted_at.is_null())
                            .order_by(Project.created_at.desc(), Project.id.desc()), "org")
# each list item serialized, per (id, revision), as the intents list's (spec_server.revisions)
LISTED = RenderedRows()
_whole_rows = whole_rows_of(Project)
read_project_row = row_reader(Project)


def get_org_projects(slug) -> tuple[models.GetOrgProjectsResponse200, int]:
    keys = LIVE_PROJECTS_OF.raw_rows(org=current_org().id)
    return {"projects": LISTED.items(keys, _whole_rows, listed_project)}, 200


def listed_project(raw: tuple, _key: tuple) -> models.Project:
    """One list item, serialized. Typed as the item it holds: ``project_view`` is what the
    type check reads."""
    return cast(models.Project, jsonio.fragment(project_view(read_project_row(raw))))


def post_org_projects(slug, body) -> tuple[models.PostOrgProjectsResponse201, int]:
    org = current_org()
    name = body["name"].strip()
    if len(name) < 2:
        raise _invalid("name", "Name must have at least 2 non-blank characters")
    project_slug = slugify(name)
    with write_transaction():
        serialize(f"org-projects:{org.id}")
        if Project.get_or_none((Project.org == org) & (Project.live_slug == project_slug)):
            raise Conflict(f"A project with the slug {project_slug} already exists",
                           details={"slug": project_slug})
        allowed = _plans.limit(org.plan_id, "projects")
        live = Project.select().where((Project.org == org) & Project.deleted_at.is_null()).count()
        if allowed is not None and live >= allowed:
            raise Conflict(f"The {org.plan_id} plan allows {allowed} projects; upgrade to create more",
                           code="PLAN_LIMIT", details={"plan": org.plan_id, "limit": allowed})
        now = clock.now_ms()
        project = Project.create(
            org=org, slug=project_slug, live_slug=project_slug, name=name, status="provisioning",
            region=body.get("region") or org.default_region, db_type=body.get("dbType", "d1"),
            template=body.get("template"), created_at=now, updated_at=now)
        _events.record(org, "project.created", target_type="project", target_id=project.id,
                       metadata={"slug": project.slug, "name": name, "region": project.region})
        view = project_view(project)  # as created: provisioning runs as a job
        _projects.provision(project.id, org.id)
    return {"project": view}, 201


def get_org_project(slug, project_slug) -> tuple[models.GetOrgProjectResponse200, int]:
    project = find_live(current_org(), project_slug)
    return {"project": project_view(project),
            "latestTemplateVersion": _projects.LATEST_TEMPLATE_VERSION}, 200


def patch_org_project(slug, project_slug, body=None) -> tuple[models.PatchOrgProjectResponse200, int]:
    body = body or {}
    org = current_org()
    changes = {}
    if "name" in body:
        name = body["name"].strip()
        if len(name) < 2:
            raise _invalid("name", "Name must have at least 2 non-blank characters")
        changes["name"] = name
    if "environment" in body:
        changes["environment"] = body["environment"]
    with write_transaction():
        project = find_live(org, project_slug)
        if changes:
            before = {key: getattr(project, key) for key in changes}
            Project.update(**changes, updated_at=max(clock.now_ms(), project.updated_at + 1)).where(
                Project.id == project.id).execute()
            project = Project.get_by_id(project.id)
            _events.record(org, "project.updated", target_type="project", target_id=project.id,
                           metadata={"slug": project.slug, "before": before, "after": changes})
    return {"project": project_view(project)}, 200


def delete_org_project(slug, project_slug) -> tuple[models.DeleteOrgProjectResponse200, int]:
    org = current_org()
    with write_transaction():
        project = find_live(org, project_slug)
        project = _projects.transition(project, "delete", deleted_at=clock.now_ms(), live_slug=None)
        _projects.release_domains(project)
        _events.record(org, "project.deleted", target_type="project", target_id=project.id,
                       metadata={"slug": project.slug})
    return {"ok": True}, 200


def _lifecycle(project_slug: str, action: str, event: str, **changes):
    org = current_org()
    with write_transaction():
        project = _projects.transition(find_live(org, project_slug), action, **changes)
        _events.record(org, event, target_type="project", target_id=project.id,
                       metadata={"slug": project.slug})
    return project


def post_org_project_pause(slug, project_slug) -> tuple[models.PostOrgProjectPauseResponse200, int]:
    return {"project": project_view(_lifecycle(project_slug, "pause", "project.paused"))}, 200


def post_org_project_resume(slug, project_slug) -> tuple[models.PostOrgProjectResumeResponse200, int]:
    return {"project": project_view(_lifecycle(project_slug, "resume", "project.resumed"))}, 200


def post_org_project_provision_retry(slug, project_slug) -> tuple[models.PostOrgProjectProvisionRetryResponse200, int]:
    org = current_org()
    with write_transaction():
        project = _projects.transition(find_live(org, project_slug), "provision_retry", failure_reason=None)
        _events.record(org, "project.provision_retried", target_type="project", target_id=project.id,
                       metadata={"slug": project.slug})
        view = project_view(project)
        _projects.provision(project.id, org.id)  # in the transaction: no retried project without its job
    return {"project": view}, 200


def post_org_project_reprovision_admin(slug, project_slug) -> tuple[models.PostOrgProjectReprovisionAdminResponse200, int]:
    """Rotate the admin credential: the new one is in this answer only."""
    org = current_org()
    secret = credentials.mint(_projects.ADMIN_CREDENTIAL_PREFIX, 24)
    with write_transaction():
        project = find_live(org, project_slug)
        require(project, "reprovision_admin")
        Project.update(admin_credential_digest=credentials.digest(secret),
                       updated_at=max(clock.now_ms(), project.updated_at + 1)).where(
            Project.id == project.id).execute()
        project = Project.get_by_id(project.id)
        _events.record(org, "project.admin_reprovisioned", target_type="project", target_id=project.id,
                       metadata={"slug": project.slug})
    return {"project": {**project_view(project), "adminCredential": secret}}, 200


def post_org_project_upgrade(slug, project_slug,
                             version=None) -> tuple[models.PostOrgProjectUpgradeResponse200, int] | Later:
    """Queue the upgrade job, then wait (at most UPGRADE_WAIT_SECONDS) for its deploy to finish:
    the documented answer is the outcome. The wait holds no request thread (``Later``)."""
    target = version or _projects.LATEST_TEMPLATE_VERSION
    with write_transaction():
        project = find_live(current_org(), project_slug)
        require(project, "upgrade")
        if target not in _projects.TEMPLATE_VERSIONS:
            raise _invalid("version", f"Unknown template version; known: {', '.join(_projects.TEMPLATE_VERSIONS)}")
        if project.template_version == target:
            return {"status": "skipped", "from": target, "to": target,
                    "reason": f"Already on template version {target}"}, 200
        deploy = _projects.record_deploy(project, "upgrade", ref=project.template_version,
                                         template_version=target)
        _projects.upgrade(deploy.id, project.org_id)

    def outcome() -> tuple[models.PostOrgProjectUpgradeResponse200, int] | None:
        finished = _projects.upgrade_outcome(Deploy.get_by_id(deploy.id))
        return None if finished is None else (finished, 200)

    def still_running() -> None:
        raise Conflict("The upgrade is still running; its deploy shows the outcome",
                       details={"deployId": deploy.id, "from": project.template_version, "to": target})

    return outcome() or Later(outcome, UPGRADE_WAIT_SECONDS, still_running)  # inline jobs have finished


# --- backups and restores -------------------------------------------------------------------

def backup_view(backup: Backup) -> models.Backup:
    return {"id": backup.id, "projectId": backup.project_id, "kind": backup.kind,
            "status": backup.status, "sizeBytes": backup.size_bytes,
            "createdAt": clock.iso(backup.created_at), "lastRestoredAt": clock.iso(backup.last_restored_at)}


def get_org_project_backups(slug, project_slug) -> tuple[models.GetOrgProjectBackupsResponse200, int]:
    project = find_live(current_org(), project_slug)
    backups = (Backup.select().where(Backup.project == project)
               .order_by(Backup.created_at.desc(), Backup.id.desc()).limit(LIST_LIMIT))
    return {"backups": [backup_view(b) for b in backups]}, 200


def post_org_project_backups(slug, project_slug,
                             body=None) -> tuple[models.PostOrgProjectBackupsResponse201, int]:
    body = body or {}
    with write_transaction():
        project = find_live(current_org(), project_slug)
        require(project, "backup")
        backup = _projects.take_backup(project, body.get("kind", "manual"))
    return {"backup": backup_view(backup)}, 201


def post_org_project_backup_restore(slug, project_slug,
                                    id_) -> tuple[models.PostOrgProjectBackupRestoreResponse200, int]:
    with write_transaction():
        project = find_live(current_org(), project_slug)
        backup = Backup.get_or_none((Backup.id == id_) & (Backup.project == project))
        if backup is None:
            raise NotFound("Backup not found")
        require(project, "restore")
        deploy = _projects.record_deploy(project, "restore", ref=backup.id,
                                         message=f"Restore of the {backup.kind} backup of {clock.iso(backup.created_at)}")
        _projects.run_deploy(deploy.id, project.org_id)
    body: models.PostOrgProjectBackupRestoreResponse200 = {"backup": backup_view(Backup.get_by_id(backup.id))}
    return with_undeclared(body, deploy=_projects.deploy_view(Deploy.get_by_id(deploy.id))), 200


def post_org_project_restore(slug, project_slug, body) -> tuple[models.PostOrgProjectRestoreResponse200, int]:
    """Point-in-time restore to ``timestamp`` (epoch milliseconds) within the plan's window."""
    org = current_org()
    timestamp = body["timestamp"]
    now = clock.now_ms()
    window_days = _plans.limit(org.plan_id, "pitr_days") or 0
    with write_transaction():
        project = find_live(org, project_slug)
        require(project, "restore")
        earliest = max(now - window_days * DAY_MS, project.created_at)
        if timestamp > now:
            raise _invalid("timestamp", "The timestamp is in the future")
        if timestamp < earliest:
            raise _invalid("timestamp", f"The {org.plan_id} plan restores to points after "
                                        f"{clock.iso(earliest)} ({window_days} days, and not before the project existed)")
        deploy = _projects.record_deploy(project, "pitr_restore", ref=clock.iso(timestamp),
                                         message=f"Point-in-time restore to {clock.iso(timestamp)}")
        _projects.run_deploy(deploy.id, project.org_id)
    restored: models.PostOrgProjectRestoreResponse200 = {"restoredTo": clock.iso(timestamp)}
    return with_undeclared(restored, deploy=_projects.deploy_view(Deploy.get_by_id(deploy.id))), 200


# --- domains --------------------------------------------------------------------------------

CHALLENGE_PREFIX = "_backlex-challenge."


def normalise_hostname(text: str) -> str:
    host = text.strip().lower().rstrip(".")
    labels = host.split(".")
    if (len(host) > 253 or len(labels) < 2 or not all(HOSTNAME_LABEL.match(label) for label in labels)
            or not re.match(r"^[a-z][a-z0-9-]*$", labels[-1])):
        raise _invalid("hostname", "Not a valid hostname (e.g. app.example.com)")
    return host


def domain_view(domain: Domain) -> models.Domain:
    return {"id": domain.id, "projectId": domain.project_id, "hostname": domain.hostname,
            "status": domain.status, "reason": domain.reason,
            "verification": {"type": "TXT", "name": CHALLENGE_PREFIX + domain.hostname,
                             "value": domain.token},
            "checkedAt": clock.iso(domain.checked_at), "verifiedAt": clock.iso(domain.verified_at),
            "createdAt": clock.iso(domain.created_at)}


def _find_domain(project_slug: str, domain_id: str) -> tuple[Project, Domain]:
    project = find_live(current_org(), project_slug)
    domain = Domain.get_or_none((Domain.id == domain_id) & (Domain.project == project))
    if domain is None:
        raise NotFound("Domain not found")
    return project, domain


def get_org_project_domains(slug, project_slug) -> tuple[models.GetOrgProjectDomainsResponse200, int]:
    project = find_live(current_org(), project_slug)
    domains = Domain.select().where(Domain.project == project).order_by(Domain.created_at, Domain.id)
    return {"domains": [domain_view(d) for d in domains]}, 200


def post_org_project_domains(slug, project_slug, body) -> tuple[models.PostOrgProjectDomainsResponse201, int]:
    org = current_org()
    hostname = normalise_hostname(body["hostname"])
    with write_transaction():
        project = find_live(org, project_slug)
        serialize(f"domain:{hostname}")
        # only this org's own claims count: another org's (pending or verified) is never
        # mentioned, and verification decides who holds the name (docs/behaviour.md)
        if _claimed_in_org(org, hostname):
            raise Conflict("This hostname is already connected to a project of this organization",
                           details={"hostname": hostname})
        domain = Domain.create(project=project, hostname=hostname, token="bx-verify-" + secrets.token_hex(16),
                               reason="Waiting for the DNS TXT record", created_at=clock.now_ms())
        _events.record(org, "domain.added", target_type="domain", target_id=domain.id,
                       metadata={"slug": project.slug, "hostname": hostname})
    return {"domain": domain_view(domain)}, 201


def _claimed_in_org(org, hostname: str) -> bool:
    return (Domain.select().join(Project).where((Domain.hostname == hostname) & (Project.org == org))
            .exists())


def _verified_elsewhere(domain: Domain) -> bool:
    return Domain.select().where((Domain.hostname == domain.hostname) & (Domain.status == "verified")
                                 & (Domain.id != domain.id)).exists()


NOT_AVAILABLE = "This hostname cannot be verified for this project; contact support if you control its DNS"


def post_org_project_domain_verify(slug, project_slug,
                                   id_) -> tuple[models.PostOrgProjectDomainVerifyResponse200, int]:
    project, domain = _find_domain(project_slug, id_)
    if domain.status == "verified":
        return {"domain": domain_view(domain)}, 200
    name = CHALLENGE_PREFIX + domain.hostname
    try:  # the lookup happens outside the transaction: DNS may be slow
        values = _dns.resolver().txt(name)
        found = domain.token in values
        reason = None if found else f"The TXT record at {name} does not contain this domain's token"
    except _dns.LookupFailed as failure:
        found, reason = False, f"{failure}; publish a TXT record {name} with the value {domain.token}"
    now = clock.now_ms()
    with write_transaction():
        serialize(f"domain:{domain.hostname}")
        if found and _verified_elsewhere(domain):  # the first to verify holds the name
            found, reason = False, NOT_AVAILABLE
        Domain.update(status="verified" if found else "pending", reason=reason, checked_at=now,
                      verified_at=now if found else None).where(Domain.id == domain.id).execute()
        if found:
            _events.record(current_org(), "domain.verified", target_type="domain", target_id=domain.id,
                           metadata={"slug": project.slug, "hostname": domain.hostname})
    return {"domain": domain_view(Domain.get_by_id(domain.id))}, 200


def delete_org_project_domain(slug, project_slug,
                              id_) -> tuple[models.DeleteOrgProjectDomainResponse200, int]:
    with write_transaction():
        project, domain = _find_domain(project_slug, id_)
        domain.delete_instance()
        _events.record(current_org(), "domain.removed", target_type="domain", target_id=domain.id,
                       metadata={"slug": project.slug, "hostname": domain.hostname})
    return {"ok": True}, 200


# --- branches, deploys, errors --------------------------------------------------------------

def branch_view(branch: Branch, deploy: Deploy | None = None) -> models.Branch:
    return {"id": branch.id, "projectId": branch.project_id, "name": branch.name,
            "prNumber": branch.pr_number, "createdAt": clock.iso(branch.created_at),
            "deploy": _projects.deploy_view(deploy) if deploy else None}


def get_org_project_branches(slug, project_slug) -> tuple[models.GetOrgProjectBranchesResponse200, int]:
    project = find_live(current_org(), project_slug)
    branches = Branch.select().where(Branch.project == project).order_by(Branch.created_at.desc(), Branch.id)
    return {"branches": [branch_view(b) for b in branches]}, 200


def post_org_project_branches(slug, project_slug,
                              body) -> tuple[models.PostOrgProjectBranchesResponse201, int]:
    org = current_org()
    name = body["name"].strip()
    if not BRANCH_NAME.match(name):
        raise _invalid("name", "Branch names use letters, digits, '.', '_', '-' and '/'")
    with write_transaction():
        project = find_live(org, project_slug)
        require(project, "branch")
        if Branch.get_or_none((Branch.project == project) & (Branch.name == name)):
            raise Conflict(f"The branch {name} already exists", details={"name": name})
        branch = Branch.create(project=project, name=name, pr_number=body.get("prNumber"),
                               created_at=clock.now_ms())
        deploy = _projects.record_deploy(project, "branch", ref=name,
                                         template_version=project.template_version)
        _events.record(org, "branch.created", target_type="branch", target_id=branch.id,
                       metadata={"slug": project.slug, "name": name, "prNumber": branch.pr_number})
        _projects.run_deploy(deploy.id, project.org_id)
    return {"branch": branch_view(branch, Deploy.get_by_id(deploy.id))}, 201


def delete_org_project_branch(slug, project_slug,
                              id_) -> tuple[models.DeleteOrgProjectBranchResponse200, int]:
    with write_transaction():
        project = find_live(current_org(), project_slug)
        branch = Branch.get_or_none((Branch.id == id_) & (Branch.project == project))
        if branch is None:
            raise NotFound("Branch not found")
        branch.delete_instance()
        _events.record(current_org(), "branch.deleted", target_type="branch", target_id=branch.id,
                       metadata={"slug": project.slug, "name": branch.name})
    return {"ok": True}, 200


def get_org_project_deploys(slug, project_slug) -> tuple[models.GetOrgProjectDeploysResponse200, int]:
    project = find_live(current_org(), project_slug)
    deploys = (Deploy.select().where(Deploy.project == project)
               .order_by(Deploy.created_at.desc(), Deploy.id.desc()).limit(LIST_LIMIT))
    return {"deploys": [_projects.deploy_view(d) for d in deploys]}, 200


def error_view(error: TenantError) -> models.TenantError:
    return {"id": error.id, "projectId": error.project_id, "message": error.message, "level": error.level,
            "path": error.path, "stack": error.stack, "context": error.context,
            "createdAt": clock.iso(error.created_at)}


def get_org_project_errors(slug, project_slug) -> tuple[models.GetOrgProjectErrorsResponse200, int]:
    project = find_live(current_org(), project_slug)
    errors = (TenantError.select().where(TenantError.project == project)
              .order_by(TenantError.created_at.desc(), TenantError.id.desc()).limit(LIST_LIMIT))
    return {"errors": [error_view(e) for e in errors]}, 200


# --- alarms ---------------------------------------------------------------------------------

def get_org_project_alarms(slug, project_slug) -> tuple[models.GetOrgProjectAlarmsResponse200, int]:
    project = find_live(current_org(), project_slug)
    alarms = Alarm.select().where(Alarm.project == project).order_by(Alarm.created_at, Alarm.id)
    return {"alarms": [_alarms.alarm_view(a) for a in alarms]}, 200


def post_org_project_alarms(slug, project_slug, body) -> tuple[models.PostOrgProjectAlarmsResponse201, int]:
    org = current_org()
    with write_transaction():
        project = find_live(org, project_slug)
        if Alarm.get_or_none((Alarm.project == project) & (Alarm.metric == body["metric"])):
            raise Conflict(f"This project already has a {body['metric']} alarm; delete it first",
                           details={"metric": body["metric"]})
        alarm = Alarm.create(org=org, project=project, metric=body["metric"],
                             threshold_pct=body["thresholdPct"], created_at=clock.now_ms())
        _events.record(org, "alarm.created", target_type="alarm", target_id=alarm.id,
                       metadata={"slug": project.slug, "metric": alarm.metric,
                                 "thresholdPct": alarm.threshold_pct})
    return {"alarm": _alarms.alarm_view(alarm)}, 201


def delete_org_project_alarm(slug, project_slug, id_) -> tuple[models.DeleteOrgProjectAlarmResponse200, int]:
    with write_transaction():
        project = find_live(current_org(), project_slug)
        alarm = Alarm.get_or_none((Alarm.id == id_) & (Alarm.project == project))
        if alarm is None:
            raise NotFound("Alarm not found")
        alarm.delete_instance()
        _events.record(current_org(), "alarm.deleted", target_type="alarm", target_id=alarm.id,
                       metadata={"slug": project.slug, "metric": alarm.metric})
    return {"ok": True}, 200

"""Resume what was left half-way: every thing in a transitional state gets a job again.

A job's row lives until the job is over (``_queue``), so a thing in a transitional state with
no job at all was left by a job given up while the store could not be reached (its hook could
not record the final state), or comes from a database older than the leased queue. At every
consumer's start and then every minute (``repair``), in one transaction:

- a project in ``provisioning`` with no ``provision`` job gets one;
- a ``queued`` deploy with no job gets its upgrade or deploy job;
- a ``pending`` outbox delivery with no ``dispatch`` job gets the one for its next attempt.

A job that exists, even one leased to a dead consumer, is left alone: its lease brings it back.
"""

from __future__ import annotations

import logging

import peewee
from huey import crontab

from handlers.backlex import _outbox, _projects
from handlers.backlex._jobs import periodic
from handlers.backlex._queue import QueuedJob
from handlers.backlex.store import Deploy, OutboundDelivery, Project
from spec_server import db

log = logging.getLogger(__name__)

DEPLOY_JOBS = {"upgrade": _projects.upgrade, "restore": _projects.run_deploy,
               "pitr_restore": _projects.run_deploy, "branch": _projects.run_deploy}


def _has_no_job(subject: peewee.Field, *names: str):
    keys = [peewee.Value(f"{name}:").concat(subject) for name in names]
    condition = QueuedJob.job_key == keys[0]
    for key in keys[1:]:
        condition |= QueuedJob.job_key == key
    return ~peewee.fn.EXISTS(QueuedJob.select(QueuedJob.id).where(condition))


def resume_stalled() -> dict[str, int]:
    """Give every stalled project, deploy and delivery its job; how many of each."""
    with db.connection(), db.write_transaction():
        db.serialize("backlex-repair")  # one sweep at a time, across processes
        projects = list(Project.select(Project.id, Project.org).where(
            (Project.status == "provisioning") & Project.deleted_at.is_null() & _has_no_job(Project.id, "provision")))
        for project in projects:
            _projects.provision(project.id, project.org_id)
        deploys = list(Deploy.select(Deploy.id, Deploy.kind, Project.org).join(Project).where(
            (Deploy.status == "queued") & Deploy.kind.in_(list(DEPLOY_JOBS))
            & _has_no_job(Deploy.id, "upgrade", "run_deploy")))
        for deploy in deploys:
            DEPLOY_JOBS[deploy.kind](deploy.id, deploy.project.org_id)
        deliveries = list(OutboundDelivery.select(OutboundDelivery.id, OutboundDelivery.org,
                                                  OutboundDelivery.finished).where(
            (OutboundDelivery.status == "pending") & _has_no_job(OutboundDelivery.id, "dispatch")))
        for delivery in deliveries:
            _outbox.dispatch(delivery.id, delivery.org_id, delivery.finished + 1)
    resumed = {"projects": len(projects), "deploys": len(deploys), "deliveries": len(deliveries)}
    if any(resumed.values()):
        log.warning("resumed stalled work: %s", ", ".join(f"{count} {kind}" for kind, count in resumed.items()))
    return resumed


def resume_stalled_quietly() -> None:
    """``resume_stalled`` where nobody waits for it (a consumer's start): a failure is one line."""
    try:
        resume_stalled()
    except peewee.DatabaseError as error:  # the periodic sweep tries again
        log.warning("repair sweep failed: %s", str(error).strip().splitlines()[0])


@periodic(crontab(), name="repair")
def repair() -> None:
    resume_stalled_quietly()

"""At-least-once jobs on huey: a storage that leases a job instead of deleting it, and the
Huey that acknowledges a job once it has run.

huey's own SQL storage deletes a job in the transaction that dequeues it, and huey itself
never acknowledges one ("Huey does not guarantee at-least-once delivery", its consumer
documentation; coleifer/huey#418, #844): a job whose process dies while it runs (kill -9,
out of memory, a connection lost to a database restart) is gone. ``LeasedStorage`` keeps
the row in ``huey_task`` until the job is over:

- **claim**: the consumer sets ``lease_until`` (now + the lease) and a fresh ``claim_token``
  and counts the claim; while the job runs, this process renews the lease every third of it
  (``Heartbeat``), for at most ``MAX_RUN_SECONDS``;
- **acknowledge**: ``LeasedHuey.execute`` deletes the row, if the token is still ours, once
  huey is done with the job: it succeeded, it failed for good, or huey queued its retry as a
  new row first;
- **take over**: a row whose lease lapsed (its holder died, or stopped renewing) is claimed
  again by any consumer; a row claimed ``MAX_CLAIMS`` times and never acknowledged is given
  up (``LeasedHuey.give_up``: the job's ``on_give_up`` hook, e.g. the project becomes
  ``failed``), so a job that kills its consumer cannot run forever;
- **delays** (retries, ``schedule(delay=...)``) are rows of the same table with a later
  ``run_at``: huey's scheduler moves a due job from its schedule table to the queue by a
  delete, then an insert, and a death in between loses it; here nothing moves;
- **fairness**: each row names its ``tenant`` (the org) and a claim skips the tenants that
  already hold ``per_tenant`` live leases in the lane, so one org's slow jobs hold at most
  that many of the lane's consumers, across every process;
- **subjects**: each row names its ``job_key`` (``provision:<project id>``), so the repair
  sweep (``_repair``) can ask whether a half-done thing still has a job.

A job can therefore run more than once (a holder that dies after the work but before the
acknowledgement, a lease that lapsed during a database restart): every job checks the state
it expects before acting. Leases are wall-clock times: the machines running consumers must
agree on the time to well within a lease (NTP does).

Why a storage of our own rather than another queue: the maintained queues that lease jobs
in SQL (procrastinate, pgqueuer) run on PostgreSQL only, and SQLite is our default store;
huey's storage interface is the documented plug-in point, and huey keeps doing the rest
(task registry, serialization, retries with backoff, periodic jobs, consumer threads).
What the lease costs (``bench/queue.py``: one thread, an empty job, 300 jobs, this 2-CPU
machine while shared): enqueue + claim + acknowledge 4.2 ms a job on SQLite against 2.2 ms
for huey's ``SqlStorage`` (enqueue + delete-on-dequeue), 8.1 against 5.5 ms on PostgreSQL,
a few milliseconds beside jobs that take tens (a delivery waits on its target). An idle poll
is 1.1 ms (0.5 for huey's) but a plain read: huey's takes SQLite's write lock every time.
"""

from __future__ import annotations

import calendar
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import peewee
from huey import signals
from huey.api import Huey, PeriodicTask, Task
from huey.constants import EmptyData
from huey.storage import BaseStorage

from spec_server import db

log = logging.getLogger(__name__)

LEASE_SECONDS = float(os.environ.get("JOB_LEASE_SECONDS", "30"))
MAX_RUN_SECONDS = 300  # a job still running after this stops being renewed: another may take it
MAX_CLAIMS = 5  # claims of one row without an acknowledgement before it is given up


def now_ms() -> int:
    return int(time.time() * 1000)


class QueuedJob(peewee.Model):
    """One job of one lane (``queue``): huey's serialized message and its lease."""

    id: peewee.AutoField[int]  # peewee's implicit key
    queue = peewee.CharField()
    data = peewee.BlobField()
    priority = peewee.FloatField(default=0.0)
    run_at = peewee.BigIntegerField(default=0)  # epoch ms: not claimed before
    lease_until = peewee.BigIntegerField(null=True)  # epoch ms; null = never claimed
    claim_token = peewee.CharField(null=True)
    claims = peewee.IntegerField(default=0)
    tenant = peewee.CharField(null=True)
    job_key = peewee.CharField(null=True)

    class Meta:
        database = db.database
        table_name = "huey_task"
        indexes = ((("queue", "run_at"), False), (("queue", "tenant", "lease_until"), False),
                   (("job_key",), False))


def create_tables(database=None) -> None:
    """The queue's table (``ApiDefinition.prepare_store``; the migration lock holds)."""
    QueuedJob.create_table(safe=True)


@dataclass
class Claim:
    """A job this process holds: the row, the token that proves it, how often it was claimed."""

    row_id: int
    token: str
    data: bytes
    claims: int
    job_key: str | None
    since: float = field(default_factory=time.monotonic)


class Heartbeat:
    """Renews the leases of the jobs this process runs, every third of a lease."""

    def __init__(self, lease_seconds: float):
        self.lease_seconds = lease_seconds
        self.held: dict[str, Claim] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def hold(self, claim: Claim) -> None:
        with self.lock:
            self.held[claim.token] = claim
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="backlex-job-leases", daemon=True)
                self.thread.start()

    def drop(self, claim: Claim) -> None:
        with self.lock:
            self.held.pop(claim.token, None)

    def renew(self) -> int:
        with self.lock:
            tokens = [c.token for c in self.held.values() if time.monotonic() - c.since < MAX_RUN_SECONDS]
        if not tokens:
            return 0
        with db.connection(), db.write_turn():
            return (QueuedJob.update(lease_until=now_ms() + int(self.lease_seconds * 1000))
                    .where(QueuedJob.claim_token.in_(tokens)).execute())

    def _run(self) -> None:
        while True:
            time.sleep(self.lease_seconds / 3)
            try:
                self.renew()
            except peewee.DatabaseError as error:  # a restart: the next beat tries again
                log.warning("job leases not renewed: %s", str(error).strip().splitlines()[0])


class LeasedStorage(BaseStorage):
    """huey's storage interface over ``huey_task`` with leases (module docstring)."""

    def __init__(self, name="huey", database=None, per_tenant: int | None = None,
                 lease_seconds: float = LEASE_SECONDS, **kwargs):
        super().__init__(name)
        self.database = database or db.database.obj  # the application's database: jobs commit with requests
        self.per_tenant = per_tenant
        self.lease_ms = int(lease_seconds * 1000)
        self.heartbeat = Heartbeat(lease_seconds)

    # --- adding jobs ----------------------------------------------------------------------

    def put(self, data: bytes, priority=None, *, run_at: int = 0, tenant: str | None = None,
            job_key: str | None = None) -> None:
        """A job, in the caller's transaction when there is one (it exists only if that commits)."""
        with db.connection(), db.write_turn():
            QueuedJob.insert(queue=self.name, data=data, priority=priority or 0, run_at=run_at,
                             tenant=tenant, job_key=job_key).execute()

    def enqueue(self, data, priority=None):
        self.put(data, priority)

    def add_to_schedule(self, data, timestamp):
        self.put(data, run_at=eta_ms(timestamp))

    def read_schedule(self, timestamp):
        return []  # delayed jobs are queue rows with a later run_at: nothing to move

    # --- claiming and acknowledging --------------------------------------------------------

    def _claimable(self, now: int, *columns):
        query = QueuedJob.select(*columns).where(
            (QueuedJob.queue == self.name) & (QueuedJob.run_at <= now)
            & (QueuedJob.lease_until.is_null() | (QueuedJob.lease_until < now)))
        if self.per_tenant:
            busy = (QueuedJob.select(QueuedJob.tenant)
                    .where((QueuedJob.queue == self.name) & QueuedJob.tenant.is_null(False)
                           & (QueuedJob.lease_until >= now))
                    .group_by(QueuedJob.tenant).having(peewee.fn.COUNT(QueuedJob.id) >= self.per_tenant))
            query = query.where(QueuedJob.tenant.is_null() | QueuedJob.tenant.not_in(busy))
        return query.order_by(QueuedJob.priority.desc(), QueuedJob.run_at, QueuedJob.id).limit(1)

    def claim(self) -> Claim | None:
        """Lease the next claimable job of this lane, or None. An idle poll is one read."""
        now = now_ms()
        with db.connection():
            if not self._claimable(now, QueuedJob.id).exists():
                return None
            with db.write_transaction():
                db.serialize(f"huey-claim:{self.name}")  # the per-tenant count holds across processes
                row = self._claimable(now, QueuedJob.id, QueuedJob.data, QueuedJob.claims,
                                      QueuedJob.job_key).first()
                if row is None:
                    return None
                token = uuid.uuid4().hex
                QueuedJob.update(lease_until=now + self.lease_ms, claim_token=token,
                                 claims=QueuedJob.claims + 1).where(QueuedJob.id == row.id).execute()
        claim = Claim(row.id, token, bytes(row.data), row.claims + 1, row.job_key)
        self.heartbeat.hold(claim)
        return claim

    def acknowledge(self, claim: Claim) -> bool:
        """The job is over: its row goes, unless another consumer took it over meanwhile."""
        self.heartbeat.drop(claim)
        with db.connection(), db.write_turn():
            return bool(QueuedJob.delete().where((QueuedJob.id == claim.row_id)
                                                 & (QueuedJob.claim_token == claim.token)).execute())

    def dequeue(self):
        raise NotImplementedError("LeasedHuey claims (claim/acknowledge), it never dequeues")

    # --- reading and flushing --------------------------------------------------------------

    def _rows(self, due: bool):
        now = now_ms()
        when = QueuedJob.run_at <= now if due else QueuedJob.run_at > now
        return QueuedJob.select(QueuedJob.data).where((QueuedJob.queue == self.name) & when)

    def queue_size(self):
        with db.connection():
            return self._rows(due=True).count()

    def enqueued_items(self, limit=None):
        with db.connection():
            return [bytes(row.data) for row in self._rows(due=True).order_by(QueuedJob.id).limit(limit)]

    def schedule_size(self):
        with db.connection():
            return self._rows(due=False).count()

    def scheduled_items(self, limit=None):
        with db.connection():
            return [bytes(row.data) for row in self._rows(due=False).order_by(QueuedJob.run_at).limit(limit)]

    def flush_queue(self):
        with db.connection(), db.write_turn():
            QueuedJob.delete().where(QueuedJob.queue == self.name).execute()

    def flush_schedule(self):
        self.flush_queue()

    def flush_results(self):
        pass

    # results, revocations and locks are huey features we do not use: nothing is stored
    def put_data(self, key, value, is_result=False):
        raise NotImplementedError("no result store: jobs write their outcome to our own tables")

    def peek_data(self, key):
        return EmptyData

    def pop_data(self, key):
        return EmptyData

    def peek_many(self, keys):
        return {}

    def has_data_for_key(self, key):
        return False

    def put_if_empty(self, key, value, ttl=None):
        raise NotImplementedError("task locks are not used")

    def result_store_size(self):
        return 0

    def result_items(self):
        return {}


def eta_ms(eta) -> int:
    """huey's eta (a naive UTC datetime) in epoch milliseconds."""
    return calendar.timegm(eta.utctimetuple()) * 1000 + eta.microsecond // 1000


class LeasedHuey(Huey):
    """Huey over ``LeasedStorage``: jobs placed with their tenant and subject, acknowledged
    after they run, given up when they keep failing or keep losing their consumer.

    A job's first argument is its subject (``job_key`` = ``<name>:<first argument>``) and its
    second, when given, the org it works for (the ``tenant``)."""

    def __init__(self, name: str, **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.give_up_hooks: dict[str, Callable[..., None]] = {}
        self.signal(signals.SIGNAL_ERROR)(self._failed)
        self.signal(signals.SIGNAL_INTERRUPTED)(self._interrupted)

    def _leased(self) -> bool:
        return not self._immediate and isinstance(self.storage, LeasedStorage)

    @staticmethod
    def placement(task: Task) -> dict:
        args: tuple = task.args or ()
        return {"job_key": f"{task.name}:{args[0]}" if args else task.name,
                "tenant": args[1] if len(args) > 1 and isinstance(args[1], str) else None}

    def enqueue(self, task):
        if not self._leased() or not isinstance(task, Task) or task.on_complete or task.chord_config:
            return super().enqueue(task)
        if task.expires:
            task.resolve_expires(self.utc)
        self._emit(signals.SIGNAL_ENQUEUED, task)
        self.storage.put(self.serialize_task(task), task.priority,
                         run_at=eta_ms(task.eta) if task.eta else 0, **self.placement(task))
        return None  # no result store

    def add_schedule(self, task):
        if not self._leased():
            return super().add_schedule(task)
        self.storage.put(self.serialize_task(task), task.priority,
                         run_at=eta_ms(task.eta) if task.eta else 0, **self.placement(task))
        self._emit(signals.SIGNAL_SCHEDULED, task)

    def dequeue(self):
        """Claim the next job (None when there is none, or when the store cannot be reached)."""
        if not self._leased():
            return super().dequeue()
        try:
            claim = self.storage.claim()
        except peewee.DatabaseError as error:  # a restart: the consumer polls again later
            log.warning("job queue %s unreachable: %s", self.name, str(error).strip().splitlines()[0])
            return None
        if claim is None:
            return None
        try:
            task = self.deserialize_task(claim.data)
        except Exception as error:  # noqa: BLE001 - a job this version does not know
            log.error("job %s (%s) cannot be read here: %s", claim.row_id, claim.job_key, error)
            if claim.claims >= MAX_CLAIMS:
                self._acknowledge(claim)
            else:
                self.storage.heartbeat.drop(claim)  # another version's consumer may know it
            return None
        if claim.claims > MAX_CLAIMS:
            self.give_up(task, f"its consumer stopped {claim.claims - 1} times before it finished")
            self._acknowledge(claim)
            return None
        task.claim = claim
        return task

    def execute(self, task, timestamp=None):
        claim = getattr(task, "claim", None)
        try:
            return super().execute(task, timestamp)
        except peewee.DatabaseError as error:  # e.g. the retry could not be queued: the lease brings it back
            log.warning("job %s %s left to its lease: %s", task.name, task.id, str(error).strip().splitlines()[0])
        finally:
            if claim is not None and getattr(task, "interrupted", False):
                self.storage.heartbeat.drop(claim)  # not over: its lease brings it back
            elif claim is not None:
                self._acknowledge(claim)

    def _acknowledge(self, claim: Claim) -> None:
        try:
            self.storage.acknowledge(claim)
        except peewee.DatabaseError as error:  # the job runs again when its lease lapses: harmless
            log.warning("job %s not acknowledged: %s", claim.job_key, str(error).strip().splitlines()[0])

    @staticmethod
    def _interrupted(signal, task, *args):
        task.interrupted = True  # the consumer stopped mid-job (SIGTERM of a process worker)

    def _failed(self, signal, task, exception=None):
        if not task.retries and not isinstance(task, PeriodicTask):
            self.give_up(task, f"{type(exception).__name__}: {exception}")

    def give_up(self, task: Task, reason: str) -> None:
        """A job that will not run again: its hook records the final state (e.g. ``failed``)."""
        log.error("job %s %s given up: %s", task.name, self.placement(task)["job_key"], reason)
        hook = self.give_up_hooks.get(task.name)
        if hook is None:
            return
        try:
            with db.connection():
                hook(*task.args, reason=reason, **task.kwargs)
        except Exception:  # noqa: BLE001 - the repair sweep finds what is still half-done
            log.exception("giving up job %s failed", task.name)

"""The backlex job queue: huey's ``SqlHuey``, stored in the application's own database.

Provisioning, upgrades, restores, webhook and integration deliveries are jobs. Three ways
to run them:

- **inline** (huey's immediate mode, the default at import): a job runs when it is enqueued.
  Tests, ``spec-server seed`` and other commands use it, so they are deterministic.
  Delayed retries wait in memory until ``run_scheduled()`` runs them.
- **in-process** (``spec-server serve``): ``bind()`` moves the queue into the database (huey's
  tables next to ours, same connection, so a job enqueued inside a request's transaction
  exists only if that transaction commits) and ``start_in_process()`` runs a consumer in
  threads of the server. ``JOBS_IN_PROCESS=0`` turns the threads off.
- **separate** (``spec-server worker``): a huey consumer on any machine that reaches the
  database.

Two consumers never run the same job: a dequeue deletes the row in one transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, an IMMEDIATE transaction on SQLite). Jobs are
also written to be idempotent (each checks the state it expects before acting).
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
import threading

from huey.api import Huey
from huey.consumer import Consumer
from huey.contrib.sql_huey import SqlStorage

from spec_server import db

log = logging.getLogger(__name__)


class QueueStorage(SqlStorage):
    """huey's SQL storage with its tables named ``huey_*``, next to ours in the same database."""

    def create_models(self):
        kv, schedule, task, counter = models = super().create_models()
        for model in models:
            model._meta.set_table_name("huey_" + model._meta.table_name)
        task._meta.indexes = []  # the dequeue index was bound to the old name: add it again
        task.add_index(task.priority.desc(), task.id)
        return models


def create_queue_tables(database) -> None:
    """huey's ``huey_*`` tables (the migration lock holds while they are created)."""
    QueueStorage("backlex", database=database)


# SqlHuey is Huey over SqlStorage; ours only renames the tables
# no result store: jobs write their outcome to our own tables (deploys, deliveries)
huey = Huey("backlex", immediate=True, results=False, utc=True, storage_class=QueueStorage)

_consumer: Consumer | None = None


def job(**options):
    """``@huey.task`` with a database connection around the job and a stable name."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with db.connection():
                return function(*args, **kwargs)

        return huey.task(name=function.__name__, **options)(run)

    return decorate


def load_jobs() -> None:
    """Load every backlex handler module (``_reactions``), so a worker knows every job (defined
    in ``_projects`` and ``_webhooks``) and every event subscriber and usage hook."""
    from handlers.backlex import _reactions

    _reactions.load()


def bind(database=None) -> None:
    """Keep the queue in ``database`` (default: the application's) and stop running inline."""
    huey.storage_kwargs = {"database": database or db.database.obj}
    huey._immediate = True  # make the setter below rebuild the storage for the new database
    huey.immediate = False


def run_inline() -> None:
    """Back to immediate mode (jobs run when enqueued)."""
    huey.immediate = True


def run_scheduled(until: datetime.datetime | None = None) -> int:
    """One pass over delayed jobs (retries) due by ``until`` (default: a day from now).

    Returns how many ran; a job that fails again is scheduled for the next pass."""
    until = until or datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(days=1)
    due = huey.read_schedule(until)
    for task in due:
        with db.connection():
            huey.execute(task, timestamp=until)
    return len(due)


def drain() -> int:
    """Run queued jobs in this thread until the queue is empty (tests, one-shot workers)."""
    count = 0
    while (task := huey.dequeue()) is not None:
        count += 1
        huey.execute(task)
    return count


class _ThreadConsumer(Consumer):
    """huey's consumer without signal handlers: those belong to the server's main thread."""

    def _set_signal_handlers(self):
        pass


def start_in_process(workers: int = 1) -> Consumer | None:
    """The server's start-up: queue jobs in the database and, unless ``JOBS_IN_PROCESS=0``
    (workers elsewhere consume them), run a consumer in threads of this process. Idempotent."""
    global _consumer
    if _consumer is not None:
        return _consumer
    load_jobs()
    bind()
    if os.environ.get("JOBS_IN_PROCESS", "1") == "0":
        return None
    _consumer = _ThreadConsumer(huey, workers=workers, worker_type="thread", periodic=True,
                                check_worker_health=False, max_delay=2.0)  # idle polls at most every 2 s
    threading.Thread(target=_consumer.start, name="backlex-jobs", daemon=True).start()
    log.info("backlex job consumer running in-process with %d worker(s)", workers)
    return _consumer


def stop_in_process() -> None:
    """Stop the in-process consumer (after its running jobs finish) and go back to inline mode."""
    global _consumer
    if _consumer is not None:
        _consumer.stop(graceful=True)
        _consumer = None
    run_inline()

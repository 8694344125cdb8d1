"""The backlex job queue: huey, over a leased storage (``_queue``) in the application's database.

Provisioning, upgrades, restores, branch deploys and webhook/integration deliveries are jobs.

**The guarantee: every job runs at least once, and is harmless twice.** A job is a row of
``huey_task``, written in the transaction that asked for it (it exists only if that commits),
and it stays there, leased to the consumer running it, until that consumer is done with it.
When the consumer dies (kill -9, a lost connection, a database restart), the lease lapses
(``JOB_LEASE_SECONDS``, default 30) and any consumer takes the job over. A job that raises is
retried with backoff; one that keeps failing, or keeps losing its consumer (``MAX_CLAIMS``),
is given up and its ``on_give_up`` hook records the final state: a project whose provisioning
fails for good is ``failed`` (``provision-retry`` applies), an upgrade or restore deploy is
``failed``. Because a job may run twice (its holder died after the work, before the
acknowledgement), each one checks the state it expects before acting: provisioning, upgrades
and restores by their state machine, deliveries by their outbox row (``_outbox``), whose
``Backlex-Webhook-Id`` lets a receiver drop a duplicate. Anything a dead process left half-way
without a job is found and given one by ``_repair``, at start and every minute.

Two **lanes**, each a huey instance with its own consumer threads: ``LIFECYCLE`` (projects,
deploys, the periodic jobs) and ``DELIVERIES`` (webhooks and integrations, which wait up to
10 s on their targets). A slow target never delays a project, and within the deliveries lane
one org holds at most ``JOB_DELIVERIES_PER_ORG`` consumers at a time across every process
(the claim skips an org at its limit), so another org's deliveries go on.

Three ways to run them:

- **inline** (huey's immediate mode, the default at import): a job runs when it is enqueued.
  Tests and ``spec-server seed`` use it, so they are deterministic. Delayed jobs (delivery
  retries) wait in memory until ``run_scheduled()`` runs them.
- **in-process** (``spec-server serve``): ``start_in_process()`` binds the queue to the
  database and runs each lane's consumer in threads of the server. ``JOBS_IN_PROCESS=0``
  turns the threads off (jobs are still queued).
- **separate** (``spec-server worker``): the same consumers on any machine that reaches the
  database. Other commands (``usage record``, ``billing``) only queue (``enqueue_only``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import os
import threading
from dataclasses import dataclass

from huey.consumer import Consumer

from handlers.backlex import _queue
from handlers.backlex._queue import LeasedHuey, LeasedStorage
from spec_server import db

log = logging.getLogger(__name__)


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _lane_queue(name: str) -> LeasedHuey:
    # no result store: jobs write their outcome to our own tables (deploys, deliveries)
    return LeasedHuey(name, immediate=True, results=False, utc=True, storage_class=LeasedStorage)


LIFECYCLE = _lane_queue("backlex")  # the name the single queue had: jobs queued before lanes still run
DELIVERIES = _lane_queue("backlex-deliveries")


@dataclass(frozen=True)
class Lane:
    queue: LeasedHuey
    threads: int  # consumer threads per process
    per_tenant: int | None  # live jobs of one org at a time in this lane, across every process
    periodic: bool  # this lane's consumer schedules the periodic jobs


LANES = (
    Lane(LIFECYCLE, threads=_setting("JOB_LIFECYCLE_THREADS", 2),
         per_tenant=_setting("JOB_LIFECYCLE_PER_ORG", 2), periodic=True),
    # deliveries wait on their targets (up to 10 s), holding no database connection meanwhile:
    # threads are cheap, and each slow org takes at most its share of them
    Lane(DELIVERIES, threads=_setting("JOB_DELIVERY_THREADS", 8),
         per_tenant=_setting("JOB_DELIVERIES_PER_ORG", 2), periodic=False),
)

_consumers: list[Consumer] = []


def job(queue: LeasedHuey, *, retries: int = 0, retry_delay: float = 0, on_give_up=None,
        connected: bool = True):
    """``@queue.task`` with a database connection around the job and a stable name.

    The job's first argument is its subject and the second the org it works for (see
    ``LeasedHuey.placement``). ``retries`` reruns a job that raised, ``retry_delay`` seconds
    later, doubling. ``on_give_up(*args, reason=...)`` records the final state of a job that
    will not run again. ``connected=False``: the job connects for each of its own steps (one
    that waits on the network must not keep a pooled PostgreSQL connection meanwhile)."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with db.connection():
                return function(*args, **kwargs)

        if on_give_up is not None:
            queue.give_up_hooks[function.__name__] = on_give_up
        return queue.task(name=function.__name__, retries=retries, retry_delay=retry_delay,
                          retry_backoff=2 if retries else 0)(run if connected else function)

    return decorate


def periodic(schedule, name: str):
    """A periodic job of the lifecycle lane (every consumer process schedules it)."""
    return LIFECYCLE.periodic_task(schedule, name=name)


def load_jobs() -> None:
    """Load every backlex handler module (``_reactions``), so a consumer knows every job (in
    ``_projects``, ``_outbox`` and ``_repair``), every event subscriber and usage hook."""
    from handlers.backlex import _reactions, _repair  # noqa: F401 - _repair: the periodic sweep

    _reactions.load()


def create_queue_tables(database) -> None:
    """The queue's ``huey_task`` table (``ApiDefinition.prepare_store``)."""
    _queue.create_tables(database)


def bind(database=None) -> None:
    """Keep every lane's jobs in ``database`` (default: the application's) instead of running them inline."""
    for lane in LANES:
        lane.queue.storage_kwargs = {"database": database or db.database.obj, "per_tenant": lane.per_tenant}
        lane.queue._immediate = True  # make the setter below rebuild the storage for the new database
        lane.queue.immediate = False


def run_inline() -> None:
    """Back to immediate mode (jobs run when enqueued)."""
    for lane in LANES:
        lane.queue.immediate = True


@contextlib.contextmanager
def enqueue_only(database=None):
    """Queue jobs in the database for the consumers, never run them here (CLI commands: a
    delivery belongs to the server's consumers and their settings, not to an operator's shell)."""
    was_inline = LIFECYCLE.immediate
    bind(database)
    try:
        yield
    finally:
        if was_inline:
            run_inline()


def is_queued() -> bool:
    return not LIFECYCLE.immediate


def run_scheduled(until: datetime.datetime | None = None) -> int:
    """Inline mode: one pass over delayed jobs (retries) due by ``until`` (default: a day from
    now). Returns how many ran; a job that is delayed again waits for the next pass."""
    until = until or datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(days=1)
    count = 0
    for lane in LANES:
        due = lane.queue.read_schedule(until)
        for task in due:
            with db.connection():
                lane.queue.execute(task, timestamp=until)
        count += len(due)
    return count


def drain() -> int:
    """Run due jobs of every lane in this thread until none is left (tests, one-shot workers)."""
    count = 0
    progressed = True
    while progressed:
        progressed = False
        for lane in LANES:
            while (task := lane.queue.dequeue()) is not None:
                lane.queue.execute(task)
                count += 1
                progressed = True
    return count


def pending_count() -> int:
    """Jobs due now in every lane (running ones included)."""
    return sum(lane.queue.pending_count() for lane in LANES)


def flush() -> None:
    """Forget every queued and delayed job (tests)."""
    for lane in LANES:
        lane.queue.flush()


class _ThreadConsumer(Consumer):
    """huey's consumer without signal handlers: those belong to the server's main thread."""

    def _set_signal_handlers(self):
        pass


def start_consumers(delivery_threads: int | None = None) -> list[Consumer]:
    """One consumer per lane, in threads of this process, then a repair sweep (``_repair``)."""
    from handlers.backlex import _repair

    consumers = []
    for lane in LANES:
        threads = delivery_threads if lane.queue is DELIVERIES and delivery_threads else lane.threads
        # an idle worker polls at most every second: one read, no write lock
        consumer = _ThreadConsumer(lane.queue, workers=threads, worker_type="thread",
                                   periodic=lane.periodic, check_worker_health=False, max_delay=1.0)
        consumer.start()
        consumers.append(consumer)
    threading.Thread(target=_repair.resume_stalled_quietly, name="backlex-repair", daemon=True).start()
    log.info("backlex job consumers running: %s", ", ".join(
        f"{lane.queue.name} ×{lane.threads}" for lane in LANES))
    return consumers


def start_in_process() -> list[Consumer] | None:
    """The server's start-up: queue jobs in the database and, unless ``JOBS_IN_PROCESS=0``
    (workers elsewhere consume them), run the consumers in threads of this process. Idempotent."""
    global _consumers
    if _consumers:
        return _consumers
    load_jobs()
    bind()
    if os.environ.get("JOBS_IN_PROCESS", "1") == "0":
        return None
    _consumers = start_consumers()
    return _consumers


def on_serve() -> None:
    """``ApiDefinition.on_serve``: once per server process."""
    start_in_process()


def stop_consumers(consumers: list[Consumer]) -> None:
    for consumer in consumers:
        consumer.stop(graceful=True)  # after their running jobs finish


def stop_in_process() -> None:
    """Stop the in-process consumers (after their running jobs finish) and go back to inline mode."""
    global _consumers
    stop_consumers(_consumers)
    _consumers = []
    run_inline()

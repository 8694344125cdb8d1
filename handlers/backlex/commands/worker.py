"""``spec-server worker``: run the backlex job queue (huey, both lanes) on this machine.

The server runs consumers in-process by default; start workers elsewhere (and set
``JOBS_IN_PROCESS=0`` on the servers) to move the jobs off the web machines. Every worker and
server pointing at the same database shares one queue; a job runs at least once, and a job
whose worker dies is taken over when its lease lapses (``handlers/backlex/_jobs.py``).
"""

from __future__ import annotations

import signal
import threading

from spec_server.commands import database_option


def register(subparsers) -> None:
    worker = subparsers.add_parser("worker", help="run backlex jobs (provisioning, restores, webhook deliveries)")
    database_option(worker)
    worker.add_argument("--workers", type=int, help="delivery threads (default JOB_DELIVERY_THREADS, 4)")
    worker.add_argument("--once", action="store_true", help="run the jobs due now, then exit")
    worker.set_defaults(func=run)


def run(args) -> int:
    from handlers.backlex import _jobs
    from spec_server.cli import open_store

    open_store(args.database)
    _jobs.load_jobs()
    _jobs.bind()
    if args.once:
        count = _jobs.drain()
        print(f"ran {count} job(s)")
        return 0
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    consumers = _jobs.start_consumers(delivery_threads=args.workers)
    stopping.wait()
    _jobs.stop_consumers(consumers)  # after the running jobs finish; a killed worker's jobs come back by lease
    return 0

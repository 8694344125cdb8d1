"""``spec-server worker``: run the backlex job queue (huey) on this machine.

The server runs a consumer in-process by default; start workers elsewhere (and set
``JOBS_IN_PROCESS=0`` on the servers) to move the jobs off the web machines. Every worker and
server pointing at the same database shares one queue; a job runs once.
"""

from __future__ import annotations

from spec_server.commands import database_option


def register(subparsers) -> None:
    worker = subparsers.add_parser("worker", help="run backlex jobs (provisioning, restores, webhook deliveries)")
    database_option(worker)
    worker.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    worker.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
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
    consumer = _jobs.huey.create_consumer(workers=args.workers, worker_type="thread", periodic=True)
    consumer.run()  # until SIGINT/SIGTERM
    return 0

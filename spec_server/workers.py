"""``spec-server serve --workers N``: N uvicorn processes, each with its own listening socket.

uvicorn's own ``workers`` share one socket, and whichever process wakes first accepts: with
keep-alive clients that connect in a burst (wrk's 32 connections, a load balancer's pool)
one worker often took nearly all of them and ran at 100% CPU while the other idled, so two
workers measured anywhere from 0.5× to 1.3× one. Here every worker binds the port with
``SO_REUSEPORT`` and the kernel spreads connections across them by address hash. The
supervisor pins worker i to the i-th CPU it may use (``pin``), restarts a worker that dies,
and stops them all on SIGINT/SIGTERM. Where the platform has no ``SO_REUSEPORT`` (or for one
worker) uvicorn runs as before.

gunicorn supervising uvicorn workers (``--reuse-port``, our connection bounds) was measured
against this (``bench/supervisors.py``, bench/results/2026-12-01-supervisors.txt; 2 workers on
SQLite, 32 connections, alternated rounds): 2,406 req/s against 4,055 for the 20-intent list,
2,893 against 4,831 by id, p99 51-70 ms against 18-32 ms. gunicorn's workers share the
master's one socket (``--reuse-port`` only lets another master bind the port) and float
across the CPUs, the cost ``pin`` describes; the split of the work was even in both.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading

import uvicorn

APP = "spec_server.asgi:create"


def bounded_options() -> dict:
    """uvicorn's options that bound a connection (README "Hostile input"): the request head
    in time and size (``slow_clients``), and the idle time between requests."""
    from spec_server.config import settings
    from spec_server.slow_clients import BoundedHeadProtocol

    return {"http": BoundedHeadProtocol, "timeout_keep_alive": settings().keep_alive_timeout}


def uvicorn_config(host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level, access_log=False,
                          **bounded_options())


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def pin(cpu: int | None) -> None:
    """Keep this worker (and every thread it will start) on one CPU. Its event loop and its
    handler threads hand the GIL to each other on every request; across two cores each
    handoff is a cross-core wake-up and the same list cost 45% more CPU per request: two
    unpinned workers gave 1.24× one, pinned 1.79×."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def run_worker(host: str, port: int, log_level: str, cpu: int | None = None) -> None:
    """One worker process: its own socket on the shared port, one uvicorn server."""
    pin(cpu)
    sock = listening_socket(host, port)
    uvicorn.Server(uvicorn_config(host, port, log_level)).run(sockets=[sock])


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level=log_level,
                    access_log=False, **bounded_options())
        return
    if port == 0:
        raise SystemExit("--workers needs a fixed --port (each worker binds the same one)")
    listening_socket(host, port).close()  # fail here, once, when the port is taken
    Supervisor(host, port, workers, log_level).run()


class Supervisor:
    def __init__(self, host: str, port: int, workers: int, log_level: str):
        self.args = (host, port, log_level)
        self.count = workers
        # worker i on the i-th CPU this process may use (round robin); SPEC_SERVER_PIN_WORKERS=0 lets them float
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        pinning = os.environ.get("SPEC_SERVER_PIN_WORKERS", "1") != "0" and len(allowed) > 1
        self.cpus = [allowed[index % len(allowed)] if pinning else None for index in range(workers)]
        self.context = multiprocessing.get_context("spawn")  # a clean interpreter per worker
        self.processes: list = []
        self.stopping = threading.Event()

    def start_one(self, index: int):
        process = self.context.Process(target=run_worker, args=(*self.args, self.cpus[index]),
                                       name="spec-server-worker")
        process.start()
        return process

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.processes = [self.start_one(index) for index in range(self.count)]
        while not self.stopping.wait(0.5):
            for index, process in enumerate(self.processes):
                if not process.is_alive() and not self.stopping.is_set():  # replaced; its clients reconnect
                    self.processes[index] = self.start_one(index)
        for process in self.processes:
            process.terminate()  # uvicorn finishes the requests in flight on SIGTERM
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()

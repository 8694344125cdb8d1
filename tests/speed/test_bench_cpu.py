"""bench/cpu.py: the benchmark's account of where the CPUs went during a round."""

from __future__ import annotations

import subprocess
import sys

from bench.cpu import CPUS, CpuUse, metered
from bench.report import cpu_bound

# burns at least this much CPU of its own, however busy the machine is
BURN = "import time\nwhile time.process_time() < {seconds}: pass\n"
# ... then says so and waits (the kernel's tick accounting may read a little less than
# process_time, so the test waits for the word, never for a figure)
BURN_AND_WAIT = BURN + "print('burned', flush=True)\ntime.sleep(60)\n"


def burning(seconds: float) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", BURN_AND_WAIT.format(seconds=seconds)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "burned"
    return process


def burner(seconds: float) -> list[str]:
    return [sys.executable, "-c", BURN.format(seconds=seconds)]


def test_a_round_charges_the_load_generator_with_its_child_and_the_server_only_for_the_round():
    server = burning(0.3)  # the server's work: before the round
    try:
        result, use = metered(lambda: subprocess.run(burner(0.3), check=True) and "ran",
                              server=[server.pid], postgresql=list)
    finally:
        server.kill()
        server.wait()
    assert result == "ran"
    assert use.wrk > 0  # the waited child burned 0.3 s during the round
    assert use.server < use.wrk  # the server burned its CPU before the round: not charged again
    assert use.postgresql == 0
    # every figure is a share of the machine: together they cannot exceed its CPUs (rounding aside)
    assert use.server + use.wrk + use.idle <= CPUS + 0.05


def test_a_process_that_started_during_the_round_counts_from_zero():
    """A backend PostgreSQL forks during a round is charged for what it burned in the round."""
    started: list[subprocess.Popen] = []

    def run():
        started.append(burning(0.2))

    try:
        _, use = metered(run, server=[], postgresql=lambda: [p.pid for p in started])
    finally:
        for process in started:
            process.kill()
            process.wait()
    assert use.postgresql > 0
    assert use.server == 0


def test_the_cpu_bound_is_the_machines_cpus_over_what_one_worker_kept_busy():
    class Measured:
        cpu = CpuUse(server=1.0, postgresql=0.3, wrk=0.05, idle=0.6, other=0.05)

    assert abs(cpu_bound(Measured()) - min(2.0, CPUS / 1.35)) < 1e-9
    Measured.cpu = CpuUse(server=0.5, postgresql=0.0, wrk=0.0, idle=1.5, other=0.0)
    assert cpu_bound(Measured()) == min(2.0, CPUS / 0.5)


def test_the_mean_of_rounds_is_taken_field_by_field():
    mean = CpuUse.mean([CpuUse(1.0, 0.2, 0.1, 0.6, 0.1), CpuUse(0.8, 0.4, 0.1, 0.6, 0.1)])
    assert mean == CpuUse(0.9, 0.30000000000000004, 0.1, 0.6, 0.1)
    assert abs(mean.busy - 1.3) < 1e-9

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


def test_the_report_splits_a_request_into_ceiling_connexion_and_ours_and_judges_the_goals(capsys):
    from bench.benchmark import Measure
    from bench.report import floor_breakdown, goals

    def measured(rps, p99, server_cpu):
        return Measure(rps, 1.0, p99, 0, CpuUse(server=server_cpu, postgresql=0.0, wrk=0.05, idle=0.0, other=0.0))

    operation = "GET /api/v1/intents"
    results = {("ceiling", operation, 32): measured(20_000, 3, 1.0),  # 0.05 ms a request
               ("floor", operation, 32): measured(4_000, 10, 1.0),  # 0.25 ms
               ("prism", operation, 32): measured(2_000, 50, 1.0),
               ("ours sqlite 1w", operation, 32): measured(3_200, 20, 1.0),  # 0.3125 ms
               ("ours sqlite 2w", operation, 32): measured(5_000, 20, 2.0)}
    floor_breakdown(results, {"ours": ["ours sqlite 1w", "ours sqlite 2w"]}, [32])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(operation))
    assert row.split()[-7:] == ["0.050", "0.250", "0.312", "0.200", "0.062", "4000", "3200"]
    judged = {text.split(" (")[0]: met for text, met in goals(results, [32])}
    assert judged == {"sqlite 1w GET /api/v1/intents c=32 >= 1.5 x Prism": "yes",
                      "sqlite 1w GET /api/v1/intents p99 @32 <= Prism's": "yes",
                      "sqlite 2w GET /api/v1/intents >= 1.8 x 1w": "NO"}

"""CLI overhead benchmark: ``pilotsim run`` as a whole process against the model's own time.

    python benchmarks/cli_overhead.py [--rounds 5] [--replications 10] [--scenario FILE]

Each round times, as fresh processes and in turn: the model's own time for the same
replications (build + run of each, in one process, imports excluded), ``pilotsim run ...
--workers 1 --no-store``, and the same with a fresh ``--store`` folder. What the command
costs beyond the model (start-up, imports, summaries, tables, the store write, the printed
table) is its time minus the model's time of the same round, in wall seconds and in CPU
seconds (steadier when others use the machine). Minimum and median are printed with the load
average, since the machines are shared.
Goal (issue 19): 10 replications of 4,000 job seekers on one worker ≤ 2 s beyond the model.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "baseline_4k.toml"
SEED = 20170801  # the CLI's default seed


def _model_child(scenario: str, replications: int) -> None:
    """Print the seconds spent building and running the replications, imports excluded."""
    from simulation.engine.model import RegionalLabourMarket
    from simulation.experiments.runner import requests
    from simulation.params.loading import load_scenario

    batch = requests(load_scenario(scenario), replications, SEED)
    start, cpu = time.perf_counter(), time.process_time()
    for request in batch:
        model = RegionalLabourMarket(request.scenario, rng=request.seed_sequence())
        model.run(request.weeks)
        model.release()
    print(json.dumps({"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}))


def _model_seconds(scenario: str, replications: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", scenario, str(replications)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli_seconds(args: list[str]) -> dict[str, float]:
    """Wall and CPU seconds of one pilotsim process (CPU: steadier on a shared machine)."""
    pilotsim = Path(sys.executable).with_name("pilotsim")
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([str(pilotsim), *args], capture_output=True, check=True)
    return {"wall": time.perf_counter() - start, "cpu": _children_cpu() - cpu}


def _line(name: str, times: dict[tuple[str, str], list[float]], kind: str) -> str:
    cells = [f"{min(times[kind, c]):>7.2f} {statistics.median(times[kind, c]):>7.2f}"
             for c in ("wall", "cpu")]
    return f"{name:<24} {cells[0]} {cells[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(SCENARIO))
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _model_child(args.child[0], int(args.child[1]))
        return
    run = ["run", args.scenario, "--replications", str(args.replications), "--workers", "1"]
    kinds = ("model", "no_store", "store", "help")
    times: dict[tuple[str, str], list[float]] = {(k, c): [] for k in kinds
                                                 for c in ("wall", "cpu")}
    print(f"{args.replications} replications of {Path(args.scenario).name}, one worker, "
          f"{args.rounds} rounds after a warm-up; load before: {os.getloadavg()[0]:.2f}")
    for round_ in range(args.rounds + 1):
        folder = tempfile.mkdtemp(prefix="pilotsim-bench-")
        try:
            figures = {"model": _model_seconds(args.scenario, args.replications),
                       "no_store": _cli_seconds([*run, "--no-store"]),
                       "store": _cli_seconds([*run, "--store", str(Path(folder) / "store")]),
                       "help": _cli_seconds(["--help"])}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if round_:  # round 0 warms the disk cache
            for kind, measured in figures.items():
                for clock, value in measured.items():
                    times[kind, clock].append(value)
    print(f"{'seconds (min / median)':<24} {'wall':>15} {'cpu':>15}")
    print(_line("model's own time", times, "model"))
    for kind, label in (("no_store", "run --no-store"), ("store", "run --store (fresh)")):
        print(_line(label, times, kind))
        beyond = {(kind, clock): [t - m for t, m in zip(times[kind, clock],
                                                         times["model", clock], strict=True)]
                  for clock in ("wall", "cpu")}
        print(_line("  beyond the model", beyond, kind))
    print(_line("--help", times, "help"))
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Replications per minute of the full-size baseline on 1 and 2 workers, and the speed-up.

The baseline scenario as it is (a Pirkanmaa-size region: 36,000 job seekers, 74 weeks), run
``--replications`` times on each worker count through :func:`simulation.runner.execute`
without a store, so that only simulation and the engine are timed. The goal is a speed-up of
at least 1.8x from the second worker. The summaries must be identical on every worker count.

Two figures:

- **cold**: the first batch of a process on two workers, which includes starting the worker
  processes (each imports the model, about as long as one replication);
- **warm**: the same batch on the kept workers, which is what every later batch of a session
  costs (a sweep's chunks, ``compare --all``, the dashboard's jobs). One worker runs in this
  process and has no start-up, so it is the reference for both.

The machine may be shared, and a neighbour's load changes a replication's time by a third
within minutes. So the warm comparison runs in ``--rounds`` rounds, each timing one worker and
then two back to back, and reports every round's speed-up and their median; the load average
before and after each timing is printed too.

    python benchmarks/ensemble.py [--replications 12] [--rounds 3] [--dask-local]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from simulation.experiments.runner import RunRequest, execute, requests, stop_workers
from simulation.params.loading import load_scenario


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(name: str, batch: list[RunRequest], options: dict[str, Any],
          summaries: dict[str, list]) -> float:
    before = load()
    start = time.perf_counter()
    results = execute(batch, **options)
    seconds = time.perf_counter() - start
    summaries.setdefault(name, []).append([r.summary for r in results])
    print(json.dumps({"engine": name, "seconds": round(seconds, 1),
                      "replications_per_minute": round(60 * len(batch) / seconds, 2),
                      "load_before": before, "load_after": load()}), flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2, help="the parallel worker count")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20170801)
    parser.add_argument("--dask-local", action="store_true",
                        help="Also time a Dask LocalCluster with --workers workers")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    batch = requests(scenario, args.replications, args.seed)
    print(f"{scenario.name}: {scenario.region.job_seekers:,} job seekers, {batch[0].weeks} weeks,"
          f" {args.replications} replications, {os.cpu_count()} cores", flush=True)
    parallel = {"workers": args.workers}
    summaries: dict[str, list] = {}

    stop_workers()
    cold = timed(f"local x{args.workers} cold", batch, parallel, summaries)
    serial_times, ratios = [], []
    for _ in range(args.rounds):
        serial = timed("local x1", batch, {"workers": 1}, summaries)
        warm = timed(f"local x{args.workers} warm", batch, parallel, summaries)
        serial_times.append(serial)
        ratios.append(serial / warm)
    if args.dask_local:
        timed(f"dask x{args.workers}", batch, {"executor": "dask", "workers": args.workers},
              summaries)

    print(f"speed-up x{args.workers} warm over x1, by round: "
          + ", ".join(f"{r:.2f}x" for r in ratios)
          + f"; median {statistics.median(ratios):.2f}x")
    print(f"speed-up x{args.workers} cold over the median x1: "
          f"{statistics.median(serial_times) / cold:.2f}x")
    reference = summaries["local x1"][0]
    identical = all(run == reference for runs in summaries.values() for run in runs)
    print(f"summaries identical on every engine: {identical}")
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

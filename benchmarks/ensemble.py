"""Replications per minute of the full-size baseline on 1 and 2 workers, and the speed-up.

The baseline scenario as it is (a Pirkanmaa-size region: 36,000 job seekers, 74 weeks), run
``--replications`` times on each worker count through :func:`simulation.runner.execute`
without a store, so that only simulation and the engine are timed. The goal is a speed-up of
at least 1.8x from the second worker. The machine may be shared: the load average before and
after each timing is printed, and a load well above the core count makes the speed-up
meaningless. The summaries must be identical on every worker count.

    python benchmarks/ensemble.py [--replications 6] [--workers 1 2] [--dask-local]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from simulation.runner import execute, requests
from simulation.scenario import load_scenario


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=20170801)
    parser.add_argument("--dask-local", action="store_true",
                        help="Also time a Dask LocalCluster with the largest worker count")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    batch = requests(scenario, args.replications, args.seed)
    print(f"{scenario.name}: {scenario.region.job_seekers:,} job seekers, {batch[0].weeks} weeks,"
          f" {args.replications} replications, {os.cpu_count()} cores", flush=True)
    engines = [(f"local x{w}", {"workers": w}) for w in args.workers]
    if args.dask_local:
        engines.append((f"dask x{max(args.workers)}",
                        {"executor": "dask", "workers": max(args.workers)}))
    rows, summaries = [], {}
    for name, options in engines:
        before = load()
        start = time.perf_counter()
        results = execute(batch, **options)
        seconds = time.perf_counter() - start
        summaries[name] = [r.summary for r in results]
        row = {"engine": name, "seconds": round(seconds, 1),
               "replications_per_minute": round(60 * len(batch) / seconds, 2),
               "load_before": before, "load_after": load()}
        rows.append(row)
        print(json.dumps(row), flush=True)
    first = rows[0]
    for row in rows[1:]:
        speed_up = first["seconds"] / row["seconds"]
        print(f"speed-up {row['engine']} over {first['engine']}: {speed_up:.2f}x", flush=True)
    identical = all(s == summaries[rows[0]["engine"]] for s in summaries.values())
    print(f"summaries identical on every engine: {identical}")
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

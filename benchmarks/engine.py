"""Engine benchmark: seconds per replication, throughput, peak memory, against bare Mesa.

    python benchmarks/engine.py [--sizes 4000 36000] [--rounds 5] [--weeks 74] [--providers]
    python benchmarks/engine.py --fresh --sizes 300000      # one fresh process each, peak memory

For each population size, one baseline replication (``region.job_seekers``
overridden; build + run) against a minimal Mesa model with as many agents that
does nothing but ``self.agents.shuffle_do("step")`` with a one-line step for as
many weeks. The ratio pilotsim / bare Mesa says what the whole engine costs
against merely activating the agents one by one.

By default both run in this one process, in alternating rounds (pilotsim, Mesa,
pilotsim, ...), after one warm-up run of each; the minimum and median of the rounds
are printed, with the load average, since the machines are shared. With ``--fresh``
each run is a fresh subprocess instead, which also reports its peak resident memory
(``ru_maxrss``) and its CPU time including imports.
Building pilotsim's first model raises glibc's allocator thresholds for the whole process
(``engine/allocator.py``), so in one process the bare Mesa rounds run with them too.
Goals (issue 19): ratio ≤ 1.0 at 4,000 and ≤ 0.3 at 36,000; 300,000 ≤ 40 s and ≤ 2 GB.
With ``--providers`` pilotsim runs the generic outsourcing scenario with 30
providers taking on 5,000 clients, to show the goals hold with providers in.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time

PROVIDERS = {"providers": 30, "max_providers": 30, "target_clients": 5000,
             "referrals_per_week": 120.0, "staff_hours_per_week": 150.0}


def _pilotsim(seekers: int, weeks: int, seed: int, providers: bool = False) -> dict[str, float]:
    from simulation.engine.model import RegionalLabourMarket
    from simulation.params.loading import load_scenario

    overrides: dict = {"region": {"job_seekers": seekers}}
    if providers:
        overrides["interventions"] = {"procurement": PROVIDERS}
    scenario = load_scenario("outsourcing_generic" if providers else "baseline",
                             overrides=overrides)
    start = time.perf_counter()
    model = RegionalLabourMarket(scenario, rng=seed)
    built = time.perf_counter()
    model.run(weeks)
    done = time.perf_counter()
    # every registered row is stepped each week; count the mean population
    person_weeks = (seekers + model.seekers.n) / 2 * weeks
    clients = len(model.providers.client_frame()) if model.providers is not None else 0
    model.release()
    return {"build_s": built - start, "run_s": done - built, "total_s": done - start,
            "seeker_weeks": person_weeks, "provider_clients": clients}


def _bare_mesa(agents: int, weeks: int, seed: int) -> dict[str, float]:
    import mesa

    class Walker(mesa.Agent):
        def step(self) -> None:
            self.wealth += 1

    class Bare(mesa.Model):
        def __init__(self, n: int) -> None:
            super().__init__(rng=seed)
            for _ in range(n):
                Walker(self).wealth = 0

        def step(self) -> None:
            self.agents.shuffle_do("step")

    start = time.perf_counter()
    model = Bare(agents)
    built = time.perf_counter()
    for _ in range(weeks):
        model.step()
    done = time.perf_counter()
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
    return {"build_s": built - start, "run_s": done - built, "total_s": done - start,
            "seeker_weeks": float(agents) * weeks}


def _child(kind: str, size: int, weeks: int, seed: int) -> None:
    if kind == "mesa":
        figures = _bare_mesa(size, weeks, seed)
    else:
        figures = _pilotsim(size, weeks, seed, providers=kind == "providers")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    # CPU seconds of the whole process (imports included): on a shared, busy
    # machine a steadier measure of one core's work than wall time
    figures["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(figures))


def _measure(kind: str, size: int, weeks: int, seed: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(size), str(weeks),
                          str(seed)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rounds(sizes: list[int], weeks: int, seed: int, rounds: int, providers: bool) -> None:
    kind = "providers" if providers else "pilotsim"
    print(f"in one process, {rounds} alternating rounds after a warm-up; "
          f"load before: {os.getloadavg()[0]:.2f}")
    print(f"{'seekers':>8} {'pilotsim min':>13} {'median':>7} | {'Mesa min':>9} {'median':>7} | "
          f"{'ratio min':>9} {'median':>7}")
    for size in sizes:
        times: dict[str, list[float]] = {kind: [], "mesa": []}
        for round_ in range(rounds + 1):
            for who in (kind, "mesa"):
                gc.collect()  # start each run from the same heap, not the last run's garbage
                if who == "mesa":
                    figures = _bare_mesa(size, weeks, seed)
                else:
                    figures = _pilotsim(size, weeks, seed, providers=providers)
                if round_:  # round 0 warms imports and caches
                    times[who].append(figures["total_s"])
        ours, bare = times[kind], times["mesa"]
        ratios = [a / b for a, b in zip(ours, bare, strict=True)]
        print(f"{size:>8,} {min(ours):>13.3f} {statistics.median(ours):>7.3f} | "
              f"{min(bare):>9.3f} {statistics.median(bare):>7.3f} | "
              f"{min(ours) / min(bare):>9.2f} {statistics.median(ratios):>7.2f}", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4_000, 36_000])
    parser.add_argument("--weeks", type=int, default=74)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--providers", action="store_true",
                        help="30 providers with 5,000 clients in the model")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds in this process (default 5)")
    parser.add_argument("--fresh", action="store_true",
                        help="one fresh subprocess per run, with peak memory")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, size, weeks, seed = args.child
        _child(kind, int(size), int(weeks), int(seed))
        return
    if not args.fresh:
        _rounds(args.sizes, args.weeks, args.seed, args.rounds, args.providers)
        return
    print(f"{'seekers':>8} {'build s':>8} {'run s':>8} {'total s':>8} {'cpu s':>7} "
          f"{'seeker-wk/s':>12} {'peak MB':>8} | {'Mesa s':>7} {'cpu s':>7} {'peak MB':>8} | "
          f"{'ratio':>6} {'cpu ratio':>9}")
    for size in args.sizes:
        ours = _measure("providers" if args.providers else "pilotsim", size, args.weeks,
                        args.seed)
        bare = _measure("mesa", size, args.weeks, args.seed)
        rate = ours["seeker_weeks"] / ours["total_s"]
        print(f"{size:>8,} {ours['build_s']:>8.2f} {ours['run_s']:>8.2f} "
              f"{ours['total_s']:>8.2f} {ours['cpu_s']:>7.2f} {rate:>12,.0f} "
              f"{ours['peak_mb']:>8.0f} | {bare['total_s']:>7.2f} {bare['cpu_s']:>7.2f} "
              f"{bare['peak_mb']:>8.0f} | {ours['total_s'] / bare['total_s']:>6.2f} "
              f"{ours['cpu_s'] / bare['cpu_s']:>9.2f}"
              + (f"  ({ours['provider_clients']:,} provider clients)" if args.providers else ""),
              flush=True)


if __name__ == "__main__":
    main()

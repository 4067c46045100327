"""Where a week's time goes: wall time of each action of the week plan, over a whole run.

    python benchmarks/week_phases.py [--seekers 4000 36000] [--weeks 74] [--scenario baseline]

Each action of ``model.week_plan`` (``engine.week``) is timed with ``perf_counter`` around
its call, so the figures carry no profiler overhead; they show which phase to work on next
(issue 19: the fixed cost of a week at a few thousand seekers, the cost per seeker at tens of
thousands). One process, one run per size; on a shared machine repeat and read the load.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from collections.abc import Callable

from simulation.engine.model import RegionalLabourMarket
from simulation.params.loading import load_scenario


def _name(action: Callable[[], None]) -> str:
    func = getattr(action, "func", action)  # functools.partial or a bound method
    return getattr(func, "__name__", repr(func))


def phase_times(scenario_name: str, seekers: int, weeks: int, seed: int = 1
                ) -> tuple[float, float, dict[str, float]]:
    """Build and run one replication; returns build seconds, run seconds and the seconds of
    each phase's action (``phase:action``)."""
    scenario = load_scenario(scenario_name, overrides={"region": {"job_seekers": seekers}})
    start = time.perf_counter()
    model = RegionalLabourMarket(scenario, rng=seed)
    built = time.perf_counter()
    spent: dict[str, float] = defaultdict(float)

    def timed(key: str, action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            began = time.perf_counter()
            action()
            spent[key] += time.perf_counter() - began
        return run

    model.week_plan = [(phase, [timed(f"{phase}:{_name(a)}", a) for a in actions])
                       for phase, actions in model.week_plan]
    model.run(weeks)
    done = time.perf_counter()
    model.release()
    return built - start, done - built, dict(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seekers", type=int, nargs="+", default=[4_000, 36_000])
    parser.add_argument("--weeks", type=int, default=74)
    parser.add_argument("--scenario", default="baseline")
    args = parser.parse_args()
    for seekers in args.seekers:
        build, run, spent = phase_times(args.scenario, seekers, args.weeks)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{args.scenario}, {seekers:,} seekers, {args.weeks} weeks: build {build:.3f} s, "
              f"run {run:.3f} s (load {load})")
        for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {key:45s} {seconds * 1000:8.1f} ms {seconds / args.weeks * 1e6:8.0f} µs/week")


if __name__ == "__main__":
    main()

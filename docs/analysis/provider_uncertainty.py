"""The README's provider table with parameter uncertainty ("Outsourcing … payment models").

    python docs/analysis/provider_uncertainty.py [--draws 10] [--replications 2] [--workers 2]

Runs ``pilotsim compare <its baseline> <pilot> --posterior K --replications R --json`` for every
scenario with a procurement (each against the baseline ``compare --all`` pairs it with) and
writes, per pilot, the provider incentives (levels: profit, exits, creaming gap, parked share,
deadweight share) and the net lasting placements and public cost (effects), each as the
posterior mean, the noise-only interval, the 95 % interval with parameter uncertainty and the
parameters' share of the variance, to ``docs/analysis/provider_uncertainty.csv``, and prints
the README's table with the wall time of each comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from simulation.params.loading import library_names, load_scenario

HERE = Path(__file__).parent
EFFECTS = ("target_sustained_3m", "target_cost_total_eur")
LEVELS = ("provider_profit_eur", "provider_exits", "provider_creaming_gap",
          "provider_parked_share", "provider_deadweight_share")


def pilots() -> list[tuple[str, str]]:
    """(baseline, pilot) for every library scenario with a procurement and a declared
    baseline (the pairs ``compare --all`` makes)."""
    out = []
    for name in library_names():
        scenario = load_scenario(name)
        if scenario.interventions.procurement is not None and scenario.baseline:
            out.append((scenario.baseline, name))
    return out


def measure(base: str, name: str, draws: int, replications: int, workers: int) -> list[dict]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "compare", base, name, "--posterior",
         str(draws), "--replications", str(replications), "--workers", str(workers), "--json"],
        capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - began
    found = json.loads(done.stdout)["scenarios"][name]
    rows = []
    for kind, metrics, stats in (("effect", EFFECTS, found["effects"]),
                                 ("level", LEVELS, found.get("providers", {}))):
        for metric in metrics:
            s = stats.get(metric)
            if s is None:
                continue
            rows.append({"pilot": name, "baseline": base, "kind": kind, "metric": metric,
                         "mean": s["mean"], "noise_low": s["noise_low"],
                         "noise_high": s["noise_high"], "low": s["low"], "high": s["high"],
                         "share_parameters": s["share_parameters"],
                         "p_parameters": s["p_parameters"], "draws": draws,
                         "replications": replications, "seconds": seconds})
    return rows


def cell(row: pd.Series | None, scale: float = 1.0, digits: int = 0) -> str:
    if row is None:
        return "–"

    def f(x: float) -> str:
        return "–" if not math.isfinite(x) else f"{x * scale:,.{digits}f}".replace("-", "−")

    share = row["share_parameters"]
    split = "" if not math.isfinite(share) else f"; {share:.0%}"
    return (f"{f(row['mean'])} ({f(row['noise_low'])} … {f(row['noise_high'])}); "
            f"{f(row['low'])} … {f(row['high'])}{split}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    rows = []
    for base, name in pilots():
        if args.only and name not in args.only:
            continue
        rows += measure(base, name, args.draws, args.replications, args.workers)
        print(f"{name}: done", file=sys.stderr)
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "provider_uncertainty.csv", index=False, float_format="%.6g")
    print("| pilot | compared with | provider profit, k€ | exits | creaming gap | parked | "
          "deadweight | lasting placements, net (target) | public cost, M€ (target) | "
          "wall time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, group in table.groupby("pilot", sort=False):
        by = {r["metric"]: r for _, r in group.iterrows()}
        print(f"| `{name}` | `{group['baseline'].iloc[0]}` | "
              f"{cell(by.get('provider_profit_eur'), 1e-3)} | "
              f"{cell(by.get('provider_exits'), 1, 1)} | "
              f"{cell(by.get('provider_creaming_gap'), 1, 3)} | "
              f"{cell(by.get('provider_parked_share'), 100, 0)} | "
              f"{cell(by.get('provider_deadweight_share'), 100, 0)} | "
              f"{cell(by.get('target_sustained_3m'))} | "
              f"{cell(by.get('target_cost_total_eur'), 1e-6, 1)} | "
              f"{group['seconds'].iloc[0]:.0f} s |")


if __name__ == "__main__":
    main()

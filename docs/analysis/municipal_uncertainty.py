"""The README's municipal-pilot tables with parameter uncertainty ("Uncertainty from what we do
not know").

    python docs/analysis/municipal_uncertainty.py [--draws 20] [--replications 2] [--workers 2]

Runs ``pilotsim compare <area baseline> <pilot> --posterior K --replications R --json`` for
each municipal pilot, writes every target-group effect's statistics and drivers to
``docs/analysis/municipal_uncertainty.csv`` and prints the README's two tables: Pirkanmaa's
headline effects, and one row per pilot, each with its wall time.
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

from simulation.experiments.drivers import top

HERE = Path(__file__).parent
PILOTS = (("baseline", "pirkanmaa"), ("baseline_turku_region", "turku_region"),
          ("baseline_kuopio_region", "kuopio_region"), ("baseline_pori", "pori"),
          ("baseline_lapland", "lapland"))
DETAIL = (("target_activation_rate_end", "activation rate at the end", 100, 1, " pp"),
          ("target_sustained_3m", "placements lasting ≥ 3 months", 1, 0, ""),
          ("target_placements", "placements", 1, 0, ""),
          ("target_unemployed_end", "unemployed at the end", 1, 0, ""),
          ("target_long_term_unemployed_end", "long-term unemployed at the end", 1, 0, ""),
          ("target_cost_total_eur", "total public cost, net of taxes", 1e-6, 1, " M€"),
          ("target_cost_state_eur", "cost to the state", 1e-6, 1, " M€"),
          ("target_cost_municipality_eur", "cost to municipalities", 1e-6, 1, " M€"))


def measure(base: str, name: str, draws: int, replications: int, workers: int
            ) -> tuple[dict, float]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "compare", base, name, "--posterior",
         str(draws), "--replications", str(replications), "--workers", str(workers), "--json"],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["scenarios"][name], time.perf_counter() - began


def number(x: float, scale: float, digits: int) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    text = f"{x * scale:+,.{digits}f}"
    return text.replace("-", "−")


def drivers(found: dict, metric: str, draws: int) -> str:
    """The parameters above the chance level, as ``compare --posterior`` names them."""
    rows = found["drivers"].get(metric, [])
    if not rows:
        return "none"
    named = top(pd.DataFrame(rows), draws)
    return "; ".join(f"{p} ({index:.2f}, {'+' if rho >= 0 else '−'})"
                     for p, index, rho in named) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    found, seconds, rows = {}, {}, []
    for base, name in PILOTS:
        found[name], seconds[name] = measure(base, name, args.draws, args.replications,
                                             args.workers)
        for metric, s in found[name]["effects"].items():
            rows.append({"pilot": name, "baseline": base, "metric": metric,
                         **{k: v for k, v in s.items() if k != "sentence"},
                         "seconds": seconds[name]})
        print(f"{name}: {seconds[name]:.0f} s", file=sys.stderr)
    pd.DataFrame(rows).to_csv(HERE / "municipal_uncertainty.csv", index=False,
                              float_format="%.6g")
    p = found["pirkanmaa"]
    print("| effect (target group) | posterior mean, noise only | 95 % with parameter "
          "uncertainty | from parameters | P(effect > 0) | drivers above chance |")
    print("|---|---|---|---|---|---|")
    for metric, label, scale, digits, unit in DETAIL:
        s = p["effects"][metric]
        share = s["share_parameters"]
        split = "–" if share is None or not math.isfinite(share) else \
            f"{share:.0%}" + ("" if (s["p_parameters"] or 0) <= 0.05 else
                              f" (F-test p {s['p_parameters']:.2f})")
        print(f"| {label} | {number(s['mean'], scale, digits)}{unit} "
              f"({number(s['noise_low'], scale, digits)} … "
              f"{number(s['noise_high'], scale, digits)}) | "
              f"{number(s['low'], scale, digits)} … {number(s['high'], scale, digits)}{unit} "
              f"| {split} | {s['p_positive']:.2f} | {drivers(p, metric, args.draws)} |")
    print()
    print("| pilot | activation at the end, pp | P(> 0) | from parameters | unemployed at the "
          "end | state, M€ | municipalities, M€ | drivers above chance | wall time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for _, name in PILOTS:
        e = found[name]["effects"]

        def cell(metric: str, scale: float, digits: int, e: dict = e) -> str:
            s = e[metric]
            return (f"{number(s['mean'], scale, digits)} ({number(s['noise_low'], scale, digits)}"
                    f" … {number(s['noise_high'], scale, digits)}); "
                    f"{number(s['low'], scale, digits)} … {number(s['high'], scale, digits)}")

        act = e["target_activation_rate_end"]
        share = act["share_parameters"]
        named = "; ".join(f"{m.removeprefix('target_')}: {drivers(found[name], m, args.draws)}"
                          for m in found[name]["drivers"]
                          if drivers(found[name], m, args.draws) != "none") or "none"
        print(f"| `{name}` | {cell('target_activation_rate_end', 100, 1)} | "
              f"{act['p_positive']:.2f} | "
              f"{'–' if share is None or not math.isfinite(share) else f'{share:.0%}'} | "
              f"{cell('target_unemployed_end', 1, 0)} | "
              f"{cell('target_cost_state_eur', 1e-6, 1)} | "
              f"{cell('target_cost_municipality_eur', 1e-6, 1)} | {named} | "
              f"{seconds[name]:.0f} s |")


if __name__ == "__main__":
    main()

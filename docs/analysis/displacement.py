"""How much of a pilot's gain comes out of other job seekers' chances (README "Displacement").

    python docs/analysis/displacement.py [--replications 8] [--seekers 12000] [--workers 2]

Runs ``intensive_coaching.toml`` against its baseline on a grid of the share of the region's
job seekers treated (the pilot municipality's share) and labour-market tightness (vacancies per
job seeker, which decides how often the vacancies bind), under common random numbers, and prints
for each point the target group's gain in people in work at the end, the effect on everyone
else, and the displacement share with its interval. Writes the table to
``docs/analysis/displacement.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from simulation.experiments.compare import compare_runs, comparison_baseline
from simulation.experiments.runner import requests, run_many
from simulation.params.loading import load_scenario

HERE = Path(__file__).parent
SHARES = (0.1, 0.25, 0.5, 0.75)
TIGHTNESS = (0.08, 0.25, 0.75)  # vacancies per job seeker; the baseline has 0.25


def point(share: float, vacancies: float, seekers: int, replications: int, workers: int
          ) -> dict[str, float]:
    overrides = {"region": {"job_seekers": seekers, "municipality_shares": [share, 1 - share],
                            "municipalities": ["Pilot municipality", "Rest of the region"]},
                 "labour_market": {"vacancies_per_seeker": vacancies}}
    scenario = load_scenario(HERE / "intensive_coaching.toml", overrides=overrides)
    baseline = comparison_baseline(load_scenario("baseline", overrides=overrides), scenario)
    runs = [run_many(requests(s, replications, 2017), workers=workers)
            for s in (scenario, baseline)]
    e = compare_runs(baseline, scenario, runs[0], runs[1]).effects
    share_stats = e["displacement_share_employed_end"]
    return {"treated_share": share, "vacancies_per_seeker": vacancies,
            "target_gain": e["target_employed_end"]["mean"],
            "outside_effect": e["outside_employed_end"]["mean"],
            "outside_low": e["outside_employed_end"]["ci95_low"],
            "outside_high": e["outside_employed_end"]["ci95_high"],
            "displacement_share": share_stats["mean"],
            "share_low": share_stats["ci95_low"], "share_high": share_stats["ci95_high"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--seekers", type=int, default=12_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    rows = [point(s, v, args.seekers, args.replications, args.workers)
            for v in TIGHTNESS for s in SHARES]
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "displacement.csv", index=False, float_format="%.4g")
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()

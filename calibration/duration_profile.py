"""Fit the duration dependence of the baseline to the Labore exit-rate table.

The baseline has two profiles by spell band: the weekly job-finding hazard at
average employability (``labour_market.work_hazard_by_band``) and the chance
that a meeting ends in a service referral (``public_office.referral_by_band``).
Because people differ in employability, the observed exit rates by band fall
faster than the hazards themselves (the more employable leave first), so the
profiles are found by a damped fixed-point iteration: run the baseline with
common seeds, compare the simulated monthly exit rates by band with the
targets, multiply each band's parameter by (target / simulated)^damping, repeat.

    python -m calibration.duration_profile [--iterations 6] [--seeds 4]

writes ``calibration/fitted.toml``, which scenarios with ``apply_fit = true``
(the baseline) read on top of their own values.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiments.runner import requests, run_many
from simulation.params.loading import load_scenario
from simulation.params.schema import N_BANDS

HERE = Path(__file__).parent
FITTED = HERE / "fitted.toml"


def labore_targets(path: Path = HERE / "targets.csv") -> tuple[np.ndarray, np.ndarray]:
    """Monthly exit rates by band to work and to services, from the targets table."""
    table = pd.read_csv(path)
    work = [float(table.loc[table["metric"] == f"monthly_to_work[{b}]", "value"].iloc[0])
            for b in range(N_BANDS)]
    services = [float(table.loc[table["metric"] == f"monthly_to_services[{b}]", "value"]
                      .iloc[0]) for b in range(N_BANDS)]
    return np.array(work), np.array(services)


def stock_targets(path: Path = HERE / "targets.csv") -> tuple[float, float]:
    """Mean activation rate and the end/start ratio of the unemployed stock."""
    table = pd.read_csv(path).set_index("metric")
    return (float(table.loc["activation_rate_mean", "value"]),
            float(table.loc["unemployed_end_ratio", "value"]))


def simulate(overrides: dict, seeds: int, seed: int, workers: int | None) -> dict:
    """Pooled monthly exit rates by band, mean activation and the stock trend."""
    scenario = load_scenario("baseline", overrides=overrides, apply_fit=False)
    results = run_many(requests(scenario, seeds, seed), workers)
    counts = sum(r.duration_exits[["person_weeks", "exits_to_work", "exits_to_services"]]
                 .to_numpy(dtype=float) for r in results)
    at_risk, work, services = counts.T
    to_monthly = lambda weekly: 1 - (1 - weekly) ** (52 / 12)  # noqa: E731
    ratios = []
    for r in results:
        region = r.weekly[r.weekly["scope"] == "region"].sort_values("week")
        ratios.append(region["unemployed"].iloc[-1] / region["unemployed"].iloc[0])
    return {"work": to_monthly(work / at_risk), "services": to_monthly(services / at_risk),
            "activation": float(np.mean([r.summary["activation_rate_mean"] for r in results])),
            "trend": float(np.mean(ratios))}


def fit(iterations: int, seeds: int, seed: int, damping: float,
        workers: int | None) -> dict[str, list[float]]:
    target_work, target_services = labore_targets()
    target_activation, target_trend = stock_targets()
    base = load_scenario("baseline", apply_fit=False)
    hazard = np.array(base.labour_market.work_hazard_by_band)
    referral = np.array(base.public_office.referral_by_band)
    follow_on = base.public_office.follow_on_referral
    inflow = base.flows.inflow_per_week
    for iteration in range(iterations):
        values = _values(hazard, referral, follow_on, inflow)
        sim = simulate(_overrides(values), seeds, seed, workers)
        error = (np.abs(sim["work"] / target_work - 1).max(),
                 np.abs(sim["services"] / target_services - 1).max())
        print(f"iteration {iteration}: worst relative error to work {error[0]:.1%}, "
              f"to services {error[1]:.1%}; activation {sim['activation']:.3f} "
              f"(target {target_activation}); unemployed end/start {sim['trend']:.3f} "
              f"(target {target_trend})")
        hazard = np.clip(hazard * (target_work / sim["work"]) ** damping, 1e-5, 1.0)
        referral = np.clip(referral * (target_services / sim["services"]) ** damping, 1e-4, 1.0)
        # follow-on chains fill the stock in services; adjust them on the odds scale
        odds = follow_on / (1 - follow_on) * (target_activation / sim["activation"]) ** 2
        follow_on = float(np.clip(odds / (1 + odds), 0.0, 0.95))
        inflow = float(np.clip(inflow * (target_trend / sim["trend"]) ** 1.5, 1e-4, 0.5))
    return _values(hazard, referral, follow_on, inflow)


def _values(hazard: np.ndarray, referral: np.ndarray, follow_on: float,
            inflow: float) -> dict:
    return {"work_hazard_by_band": hazard.round(5).tolist(),
            "referral_by_band": referral.round(4).tolist(),
            "follow_on_referral": round(follow_on, 4), "inflow_per_week": round(inflow, 5)}


def _overrides(values: dict) -> dict:
    return {"labour_market": {"work_hazard_by_band": values["work_hazard_by_band"]},
            "public_office": {"referral_by_band": values["referral_by_band"],
                              "follow_on_referral": values["follow_on_referral"]},
            "flows": {"inflow_per_week": values["inflow_per_week"]}}


def write_fitted(values: dict[str, list[float]], command: str, path: Path = FITTED) -> None:
    source = (f"fitted: calibration/duration_profile.py ({command}) to Labore 2015 "
              "exit rates by spell band (DOMAIN.md §3; calibration/targets.csv)")
    text = (
        "# Written by calibration/duration_profile.py; do not edit by hand.\n"
        "# Scenarios with apply_fit = true read these values on top of their own.\n\n"
        "[labour_market]\n"
        f"work_hazard_by_band = {{ value = {values['work_hazard_by_band']}, "
        f"source = \"{source}\" }}\n\n"
        "[public_office]\n"
        f"referral_by_band = {{ value = {values['referral_by_band']}, source = \"{source}\" }}\n"
        f"follow_on_referral = {{ value = {values['follow_on_referral']}, "
        f"source = \"{source}; activation rate 2018\" }}\n\n"
        "[flows]\n"
        f"inflow_per_week = {{ value = {values['inflow_per_week']}, "
        f"source = \"{source}; unemployed stock 296k → 240k\" }}\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--damping", type=float, default=0.8)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    values = fit(args.iterations, args.seeds, args.seed, args.damping, args.workers)
    command = (f"--iterations {args.iterations} --seeds {args.seeds} --seed {args.seed} "
               f"--damping {args.damping}")
    write_fitted(values, command)
    print(f"wrote {FITTED}")


if __name__ == "__main__":
    main()

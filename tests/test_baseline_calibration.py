"""The fitted baseline reproduces the Labore 2015 monthly exit rates by spell band and the
registered long-term share at the end of 2017.

Full size (36,000 job seekers, 74 weeks), exit counts pooled over a few
replications, each rate within the tolerance that calibration/targets.csv
states for it (to work and to services, by band and over all spells).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.runner import requests, run_many
from simulation.params.loading import load_scenario
from simulation.params.schema import N_BANDS

TARGETS = Path(__file__).resolve().parents[1] / "calibration" / "targets.csv"
REPLICATIONS = 2
SEED = 20_171


def _monthly(weekly: np.ndarray) -> np.ndarray:
    return 1 - (1 - weekly) ** (52 / 12)


@pytest.fixture(scope="module")
def pooled_exit_rates() -> dict[str, float]:
    scenario = load_scenario("baseline")
    assert scenario.region.job_seekers == 36_000
    results = run_many(requests(scenario, REPLICATIONS, SEED), workers=2)
    counts = sum(r.duration_exits[["person_weeks", "exits_to_work", "exits_to_services"]]
                 .to_numpy(dtype=float) for r in results)
    at_risk, work, services = counts.T
    rates = {}
    for band in range(N_BANDS):
        rates[f"monthly_to_work[{band}]"] = float(_monthly(work[band] / at_risk[band]))
        rates[f"monthly_to_services[{band}]"] = float(
            _monthly(services[band] / at_risk[band]))
    rates["monthly_to_work[all]"] = float(_monthly(work.sum() / at_risk.sum()))
    rates["monthly_to_services[all]"] = float(_monthly(services.sum() / at_risk.sum()))
    # the long-term share of the registered unemployed at the end of 2017 (week 22)
    ends_2017 = [r.weekly[(r.weekly["scope"] == "region") & (r.weekly["week"] == 22)].iloc[0]
                 for r in results]
    rates["long_term_unemployed/unemployed@week=22"] = float(np.mean(
        [row["long_term_unemployed"] / row["unemployed"] for row in ends_2017]))
    # the stock in April 2018 against August 2017, and the activation trend of 2018
    region = [r.weekly[r.weekly["scope"] == "region"].set_index("week") for r in results]
    rates["unemployed@ratio=start:39"] = float(np.mean(
        [w.loc[39, "unemployed"] / w.loc[1, "unemployed"] for w in region]))
    rates["activation_rate@change=22:74"] = float(np.mean(
        [w.loc[74, "activation_rate"] - w.loc[22, "activation_rate"] for w in region]))
    return rates


def _labore_targets() -> pd.DataFrame:
    table = pd.read_csv(TARGETS)
    labore = table[table["metric"].str.startswith(("monthly_to_work", "monthly_to_services"))]
    assert len(labore) == 2 * (N_BANDS + 1)
    return labore


def _cases() -> list:
    # The all-spells rates are validation targets, not fitted: they also depend on the
    # stock's mix of spell lengths, which the long-term exit and the long-term share set
    # (≈ 0.062 to work against 0.062 ± 0.012 since those were fitted; 0.047–0.050 before).
    return [pytest.param(row.target_id, id=row.target_id)
            for row in _labore_targets().itertuples()]


@pytest.mark.slow
@pytest.mark.parametrize("target_id", _cases())
def test_baseline_exit_rate_within_tolerance(pooled_exit_rates, target_id: str) -> None:
    target = _labore_targets().set_index("target_id").loc[target_id]
    simulated = pooled_exit_rates[target["metric"]]
    assert abs(simulated - target["value"]) <= target["tolerance"], (
        f"{target['metric']}: simulated {simulated:.4f}, Labore {target['value']:.4f} "
        f"± {target['tolerance']}")


@pytest.mark.slow
def test_baseline_long_term_share_at_the_end_of_2017_within_tolerance(pooled_exit_rates) -> None:
    table = pd.read_csv(TARGETS).set_index("target_id")
    target = table.loc["ltu_share_dec2017"]
    simulated = pooled_exit_rates[target["metric"]]
    assert abs(simulated - target["value"]) <= target["tolerance"], (
        f"long-term share {simulated:.3f}, registered {target['value']} ± {target['tolerance']}")


@pytest.mark.slow
@pytest.mark.parametrize("target_id", ["unemployed_apr2018", "activation_change_2018_elsewhere"])
def test_baseline_stock_path_and_2018_activation_trend_within_tolerance(
        pooled_exit_rates, target_id: str) -> None:
    # the stock does not fall all at once (0.81 by April before the prior job losses), and
    # activation rises in 2018 with the national activation model
    target = pd.read_csv(TARGETS).set_index("target_id").loc[target_id]
    simulated = pooled_exit_rates[target["metric"]]
    assert abs(simulated - target["value"]) <= target["tolerance"], (
        f"{target['metric']}: simulated {simulated:.3f}, register {target['value']} "
        f"± {target['tolerance']}")

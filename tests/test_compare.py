"""Paired effects and summaries when replications report different ledger items."""

from __future__ import annotations

import math

import pandas as pd

from simulation.compare import paired_effects
from simulation.results import RunResult
from simulation.statistics import summarise_replications


def _run(replication: int, summary: dict[str, float]) -> RunResult:
    empty = pd.DataFrame()
    return RunResult("s", replication, 1, (replication,), empty, empty, empty, summary)


def test_a_cost_item_paid_in_only_some_replications_counts_as_zero_elsewhere():
    summaries = [{"placements": 10.0, "cost_first_hire_subsidy_eur": 300.0},
                 {"placements": 12.0}]
    levels = summarise_replications(summaries)
    assert levels["cost_first_hire_subsidy_eur"]["mean"] == 150.0
    assert levels["placements"]["mean"] == 11.0


def test_a_missing_non_money_metric_is_left_out_not_zero():
    levels = summarise_replications([{"served": 4.0}, {}])
    assert levels["served"]["mean"] == 4.0  # the missing replication is skipped


def test_paired_effects_use_every_metric_either_side_reported():
    base = {"placements": 10.0, "sustained_3m": 5.0, "cost_total_eur": 100.0,
            "target_placements": 4.0, "target_sustained_3m": 2.0, "target_cost_total_eur": 50.0}
    scenario = [_run(0, {**base, "cost_first_hire_subsidy_eur": 300.0}), _run(1, dict(base))]
    baseline = [_run(0, dict(base)), _run(1, dict(base))]
    effects = paired_effects(scenario, baseline)
    assert effects["cost_first_hire_subsidy_eur"]["mean"] == 150.0
    assert effects["placements"]["mean"] == 0.0
    assert math.isnan(effects["cost_per_net_placement_eur"]["mean"])  # no net placements

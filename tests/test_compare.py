"""Paired effects, summaries when replications report different ledger items, and what a
scenario is paired with."""

from __future__ import annotations

import math

import pandas as pd

from simulation.engine.results import RunResult
from simulation.experiments.compare import comparison_baseline, paired_effects, plan_comparisons
from simulation.experiments.runner import execute, requests
from simulation.experiments.statistics import summarise_replications
from simulation.params.loading import load_scenario
from simulation.params.schema import Interventions

SMALL = {"region": {"job_seekers": 3000}}


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


def test_a_growth_pilot_is_paired_with_its_firm_side_and_target_group_but_not_its_levers():
    pilot = load_scenario("koko_rekry")
    baseline = load_scenario(pilot.baseline)  # its region, Uusimaa, without the programme
    paired = comparison_baseline(baseline, pilot)
    assert baseline.growth is None and pilot.growth.programme is not None
    assert paired.growth == pilot.growth.model_copy(update={"programme": None})
    assert paired.target_group == pilot.target_group
    assert paired.interventions == baseline.interventions == Interventions()
    assert paired.region == pilot.region
    to_run, pairs = plan_comparisons({pilot.baseline: ["koko_rekry"]},
                                     {pilot.baseline: baseline, "koko_rekry": pilot})
    assert pairs == [(f"{pilot.baseline}@koko_rekry", "koko_rekry")]
    assert to_run[f"{pilot.baseline}@koko_rekry"] == paired
    # the baseline as loaded is paired with nothing: left out when only pairs are run
    assert pilot.baseline in to_run
    only, same_pairs = plan_comparisons({pilot.baseline: ["koko_rekry"]},
                                        {pilot.baseline: baseline, "koko_rekry": pilot},
                                        only_paired=True)
    assert same_pairs == pairs
    assert list(only) == [k for k in to_run if k != pilot.baseline]
    # a baseline that has its own firm side and the same target group is used as it is
    karelia = load_scenario("north_karelia_1000_jobs")
    area = load_scenario("baseline_north_karelia")
    assert comparison_baseline(area, karelia) is area
    kept, karelia_pairs = plan_comparisons({"baseline_north_karelia": ["north_karelia_1000_jobs"]},
                                           {"baseline_north_karelia": area,
                                            "north_karelia_1000_jobs": karelia},
                                           only_paired=True)
    assert karelia_pairs == [("baseline_north_karelia", "north_karelia_1000_jobs")]
    assert set(kept) == {"baseline_north_karelia", "north_karelia_1000_jobs"}


def test_firms_that_exist_anyway_are_not_counted_as_a_pilots_effect():
    # The pilot stripped of its programme and its providers is only its region's firm side:
    # against its paired baseline every effect is exactly zero; against the baseline as
    # loaded, the firm side's own hiring would show up as jobs "created".
    pilot = load_scenario("growth_boost_pirkanmaa", overrides=SMALL)
    baseline = load_scenario(pilot.baseline, overrides=SMALL)
    firms_only = pilot.model_copy(update={
        "interventions": Interventions(),
        "growth": pilot.growth.model_copy(update={"programme": None})})
    paired = comparison_baseline(baseline, firms_only)
    runs = execute([*requests(firms_only, 2, seed=8, weeks=12),
                    *requests(paired, 2, seed=8, weeks=12),
                    *requests(baseline.model_copy(update={"target_group": pilot.target_group}),
                              2, seed=8, weeks=12)], workers=2)
    effects = paired_effects(runs[:2], runs[2:4])
    assert all(e["mean"] == 0 for name, e in effects.items() if not math.isnan(e["mean"]))
    assert runs[0].summary["placements"] != runs[4].summary["placements"]


def test_a_scenario_on_its_own_region_is_paired_on_that_region() -> None:
    """Pairing on the baseline's region would compare other people (a small pilot against a
    full-size region, or a target municipality the baseline does not have)."""
    overrides = {"region": {"municipalities": ["Pilot municipality", "Rest of the region"],
                            "municipality_shares": [0.5, 0.5], "job_seekers": 3000},
                 "target_group": {"any_of": [{"municipalities": ["Pilot municipality"]}]},
                 "interventions": {"coaching": {"caseload": 60.0}}}
    scenario = load_scenario("baseline", overrides=overrides)
    baseline = load_scenario("baseline")
    paired = comparison_baseline(baseline, scenario)
    assert paired.region == scenario.region != baseline.region
    assert paired.target_group == scenario.target_group
    assert paired.interventions == baseline.interventions
    # and the pair runs on the same small register (a full-size baseline has ~39,000 job
    # seekers; after one week of coaching the two differ by a few)
    runs = execute([*requests(scenario, 1, seed=5, weeks=1),
                    *requests(paired, 1, seed=5, weeks=1)], workers=1)
    first = [run.weekly["job_seekers"].iloc[0] for run in runs]
    assert max(first) < 3500 and abs(first[0] - first[1]) < 50, first


def test_a_cost_per_net_placement_has_no_interval_where_the_placements_have_none() -> None:
    """Every replication gains placements, but their 95 % interval includes zero: the ratio
    shows its mean and no interval (its true interval runs to infinity; a bootstrap over
    five replications would show a bounded one). A clear gain keeps the bootstrap's."""
    import numpy as np

    from simulation.experiments.compare import ratio_ci
    from simulation.experiments.statistics import mean_ci

    cost = [1e6, 2e6, 1.5e6, 1.2e6, 1.8e6]
    unclear = [5.0, 60.0, 1.0, 40.0, 2.0]  # all above 0; t-interval about −9 to 52
    assert mean_ci(unclear)["ci95_low"] < 0
    ratio = ratio_ci(cost, unclear, np.random.default_rng(1))
    assert math.isclose(ratio["mean"], np.mean(cost) / np.mean(unclear))
    assert math.isnan(ratio["ci95_low"]) and math.isnan(ratio["ci95_high"])
    clear = [50.0, 60.0, 55.0, 45.0, 52.0]
    bounded = ratio_ci(cost, clear, np.random.default_rng(1))
    assert bounded["ci95_low"] < bounded["mean"] < bounded["ci95_high"]
    # the draws are made either way: what follows draws the same numbers
    a, b = np.random.default_rng(2), np.random.default_rng(2)
    ratio_ci(cost, unclear, a)
    ratio_ci(cost, clear, b)
    assert a.random() == b.random()

"""Gross change beside net effect, and displacement: the arithmetic on constructed runs, the
matching function's own displacement, and both reported for a real comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.engine.matching import hire_chances
from simulation.engine.results import RunResult
from simulation.experiments.compare import compare_runs, comparison_baseline
from simulation.experiments.gross_net import changes, displacement, outside_effects
from simulation.experiments.runner import requests, run_many
from simulation.params.loading import load_scenario


def _run(replication: int, weekly: dict[str, list[float]], summary: dict[str, float]
         ) -> RunResult:
    weeks = len(next(iter(weekly.values())))
    frame = pd.concat([pd.DataFrame({"week": range(1, weeks + 1), "scope": scope, **weekly})
                       for scope in ("region", "target")], ignore_index=True)
    return RunResult(scenario="x", replication=replication, entropy=0, spawn_key=(replication,),
                     weekly=frame, ledger=pd.DataFrame(), duration_exits=pd.DataFrame(),
                     summary=summary)


def test_gross_minus_trend_is_net_replication_by_replication() -> None:
    rng = np.random.default_rng(1)
    scenario, baseline = [], []
    for i in range(6):
        path = rng.normal(100, 10, 30).cumsum()
        scenario.append(_run(i, {"unemployed": list(path - np.arange(30) * 2)}, {}))
        baseline.append(_run(i, {"unemployed": list(path)}, {}))
    got = changes(scenario, baseline, "unemployed", "region", 1, 30)
    gross = [s.weekly.iloc[29]["unemployed"] - s.weekly.iloc[0]["unemployed"]
             for s in scenario]
    trend = [b.weekly.iloc[29]["unemployed"] - b.weekly.iloc[0]["unemployed"]
             for b in baseline]
    assert got["gross"]["mean"] == pytest.approx(np.mean(gross))
    assert got["trend"]["mean"] == pytest.approx(np.mean(trend))
    assert got["net"]["mean"] == pytest.approx(-58.0)  # 29 weeks × −2, by construction
    assert got["gross"]["mean"] - got["trend"]["mean"] == pytest.approx(got["net"]["mean"])


def _pair(target_gain: list[float], outside_loss: list[float]
          ) -> tuple[list[RunResult], list[RunResult]]:
    scenario, baseline = [], []
    for i, (gain, loss) in enumerate(zip(target_gain, outside_loss, strict=True)):
        people = {"job_seekers_end": 3000.0, "target_job_seekers_end": 900.0}
        base = {"employed_end": 1000.0, "target_employed_end": 300.0,
                "sustained_3m": 500.0, "target_sustained_3m": 100.0, **people}
        shifted = {"employed_end": 1000.0 + gain - loss, "target_employed_end": 300.0 + gain,
                   "sustained_3m": 500.0, "target_sustained_3m": 100.0, **people}
        scenario.append(_run(i, {"employed": [0.0]}, shifted))
        baseline.append(_run(i, {"employed": [0.0]}, base))
    return scenario, baseline


def test_the_outside_effect_and_the_displacement_share_on_constructed_runs() -> None:
    rng = np.random.default_rng(0)
    scenario, baseline = _pair([40, 50, 60, 50], [0, 0, 0, 0])  # nobody else loses
    assert outside_effects(scenario, baseline)["outside_employed_end"]["mean"] == 0.0
    share = displacement(scenario, baseline, rng)["displacement_share_employed_end"]
    assert share["mean"] == 0.0 and share["ci95_low"] == 0.0 and share["ci95_high"] == 0.0
    scenario, baseline = _pair([40, 50, 60, 50], [20, 25, 30, 25])  # half the gain displaced
    out = outside_effects(scenario, baseline)["outside_employed_end"]
    assert out["mean"] == pytest.approx(-25.0)
    share = displacement(scenario, baseline, rng)["displacement_share_employed_end"]
    assert share["mean"] == pytest.approx(0.5)
    assert share["ci95_low"] <= 0.5 <= share["ci95_high"]
    # no clear gain for the target group (here: none): a share of nothing is undefined
    share = displacement(scenario, baseline, rng)["displacement_share_sustained_3m"]
    assert math.isnan(share["mean"])
    # a target group of everyone leaves nobody outside to be displaced: undefined, not 0
    for run in (*scenario, *baseline):
        run.summary["job_seekers_end"] = run.summary["target_job_seekers_end"]
    share = displacement(scenario, baseline, rng)["displacement_share_employed_end"]
    assert math.isnan(share["mean"])


def _chances(target_boost: float, elasticity: float, vacancies: float) -> np.ndarray:
    """Hire chances of ten searchers in one sector; the first five are the target group,
    whose search intensity an intervention multiplies by ``target_boost``."""
    intensity = np.array([0.1] * 5 + [0.1] * 5) * np.array([target_boost] * 5 + [1.0] * 5)
    return hire_chances(intensity, np.zeros(10, dtype=np.int64), np.array([vacancies]),
                        np.array([1.0]), 0.5, elasticity)


def test_with_no_congestion_and_vacancies_to_spare_helping_some_displaces_nobody() -> None:
    before, after = _chances(1.0, 1.0, 100.0), _chances(3.0, 1.0, 100.0)
    assert (after[:5] > before[:5]).all()
    assert np.array_equal(after[5:], before[5:])  # exactly the same chance for everyone else


def test_congestion_or_binding_vacancies_make_others_lose() -> None:
    before, after = _chances(1.0, 0.5, 100.0), _chances(3.0, 0.5, 100.0)
    assert (after[5:] < before[5:]).all()        # tightness falls as the target searches more
    before, after = _chances(1.0, 1.0, 0.6), _chances(3.0, 1.0, 0.6)
    assert (after[5:] < before[5:]).all()        # a fixed number of vacancies shared out


@pytest.fixture(scope="module")
def pirkanmaa_comparison():
    overrides = {"region": {"job_seekers": 1500}}
    scenario = load_scenario("pirkanmaa", overrides=overrides)
    baseline = comparison_baseline(load_scenario("baseline", overrides=overrides), scenario)
    runs = [run_many(requests(s, 3, 4, 30), workers=1) for s in (scenario, baseline)]
    return compare_runs(baseline, scenario, runs[0], runs[1])


def test_every_comparison_reports_gross_trend_net_and_the_outside_effect(
        pirkanmaa_comparison) -> None:
    c = pirkanmaa_comparison
    for scope in ("target", "region"):
        for column in ("activation_rate", "unemployed", "long_term_unemployed", "job_seekers"):
            row = c.gross_net[scope][column]
            assert set(row) == {"gross", "trend", "net"}
            assert row["gross"]["mean"] - row["trend"]["mean"] == pytest.approx(
                row["net"]["mean"], abs=1e-9)
    for name in ("outside_placements", "outside_employed_end", "outside_cost_total_eur"):
        assert name in c.effects
    # region = target group + everyone else, for additive counts
    assert c.effects["outside_placements"]["mean"] == pytest.approx(
        c.effects["placements"]["mean"] - c.effects["target_placements"]["mean"])


def test_a_reported_period_beyond_the_run_has_no_model_figures() -> None:
    """Pirkanmaa reports activation over 2018 (weeks 22–74 of the run). A run of 74 weeks or
    more gives gross, trend and net over those weeks; a shorter one gives none (never the
    change up to the run's end, labelled with the reported weeks), and says where it ends."""
    from simulation.experiments.compare import reported_changes

    pilot = load_scenario("pirkanmaa")
    rng = np.random.default_rng(2)
    for weeks in (40, 74, 80):
        paths = [rng.normal(0.3, 0.01, weeks) for _ in range(4)]
        scenario = [_run(i, {"activation_rate": list(p + 0.001 * np.arange(weeks))}, {})
                    for i, p in enumerate(paths)]
        baseline = [_run(i, {"activation_rate": list(p)}, {}) for i, p in enumerate(paths)]
        row = reported_changes(pilot, scenario, baseline)["activation_rate"]
        start, end = row["weeks"]
        assert (start, end) == (22, 74)
        assert row["run_weeks"] == weeks
        if weeks < end:
            assert all(math.isnan(row[part][stat]) for part in ("gross", "trend", "net")
                       for stat in ("mean", "ci95_low", "ci95_high"))
        else:
            assert row["net"]["mean"] == pytest.approx(0.001 * (end - start))
            assert row["gross"] == changes(scenario, baseline, "activation_rate", "target",
                                           start, end)["gross"]

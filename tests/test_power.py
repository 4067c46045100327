"""Power and minimum detectable effect of pilot evaluations (simulation/power.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simulation.cli.main import app
from simulation.experiments.power import (
    comparison_region_power,
    evaluate,
    mde_factor,
    rct_power,
    rct_required_size,
)
from simulation.experiments.runner import requests, run_replication
from simulation.params.loading import load_scenario

RESAMPLES = 400
NOMINAL = 0.05
THREE_SE = 3 * math.sqrt(NOMINAL * (1 - NOMINAL) / RESAMPLES)


def people(rng: np.random.Generator, rate: float, count: int = 5000) -> np.ndarray:
    return (rng.random(count) < rate).astype(float)


def regions(rng: np.random.Generator, rate: float, replications: int, sd: float = 0.01,
            count: int = 5000) -> list[np.ndarray]:
    """Replications of a region whose rate varies by a regional shock of ``sd``."""
    return [people(rng, rate + rng.normal(0, sd), count) for _ in range(replications)]


def test_rct_power_rises_to_one_with_pilot_size_for_a_large_effect():
    rng = np.random.default_rng(1)
    control = [people(rng, 0.30) for _ in range(4)]
    treated = [people(rng, 0.40) for _ in range(4)]
    table = rct_power(treated, control, [25, 50, 100, 200, 400, 800], RESAMPLES, 0.05,
                      np.random.default_rng(2))
    assert (np.diff(table["power"]) > 0).all()
    assert table["power"].iloc[-1] >= 0.9
    assert (np.diff(table["mde"]) < 0).all()


def test_rct_without_an_effect_rejects_at_the_nominal_rate():
    rng = np.random.default_rng(3)
    same = [people(rng, 0.25) for _ in range(4)]  # scenario = baseline: identical people
    table = rct_power(same, same, [50, 500, 2000], RESAMPLES, NOMINAL, np.random.default_rng(4))
    for rate in table["power"]:
        assert abs(rate - NOMINAL) <= THREE_SE, table


def test_rct_mde_matches_the_size_needed_for_80_percent_power():
    rng = np.random.default_rng(5)
    control = [people(rng, 0.20, 20_000)]
    treated = [people(rng, 0.23, 20_000)]
    effect = treated[0].mean() - control[0].mean()
    needed = rct_required_size(treated, control, effect, 0.05)
    table = rct_power(treated, control, [needed], RESAMPLES, 0.05, np.random.default_rng(6))
    assert abs(table["power"].iloc[0] - 0.8) <= 3 * math.sqrt(0.8 * 0.2 / RESAMPLES)
    assert table["mde"].iloc[0] == pytest.approx(abs(effect), rel=0.1)
    assert mde_factor(0.05, 0.8) == pytest.approx(1.96 + 0.8416, abs=1e-3)


def test_comparison_region_power_grows_and_stays_nominal_without_an_effect():
    rng = np.random.default_rng(7)
    baseline = regions(rng, 0.30, 40)
    pilot = regions(rng, 0.36, 40)
    sizes = [50, 200, 1000, 5000]
    table = comparison_region_power(pilot, baseline, sizes, RESAMPLES, 0.05,
                                    np.random.default_rng(8))
    assert (np.diff(table["power"]) > 0).all()
    assert table["power"].iloc[-1] >= 0.9
    null = comparison_region_power(baseline, regions(rng, 0.30, 40), [200, 5000], RESAMPLES,
                                   NOMINAL, np.random.default_rng(9))
    for rate in null["power"]:
        assert abs(rate - NOMINAL) <= THREE_SE, null


def test_between_region_spread_caps_comparison_region_power():
    rng = np.random.default_rng(10)
    baseline, pilot = regions(rng, 0.30, 30, sd=0.03), regions(rng, 0.32, 30, sd=0.03)
    table = comparison_region_power(pilot, baseline, [1000, 4000], RESAMPLES, 0.05,
                                    np.random.default_rng(11))
    assert table["power"].max() < 0.5  # a 2-point effect hides in 3-point regional noise


# --- end to end on a small region ---------------------------------------------------------------

SMALL = {"region": {"job_seekers": 1500, "firms": 50}, "scenario": {"weeks": 14}}


@pytest.fixture(scope="module")
def small_runs():
    base = load_scenario("baseline", overrides=SMALL)
    pilot = load_scenario("pirkanmaa", overrides=SMALL)
    run = {name: [run_replication(r) for r in requests(sc, 2, 11)]
           for name, sc in (("baseline", base), ("pirkanmaa", pilot))}
    return run["pirkanmaa"], run["baseline"]


def test_runs_carry_the_initial_target_group_as_the_same_people(small_runs):
    pilot, base = small_runs
    for s, b in zip(pilot, base, strict=True):
        assert s.cohort is not None and len(s.cohort) > 300
        assert (s.cohort["person"].to_numpy() == b.cohort["person"].to_numpy()).all()
        assert set(s.cohort.columns) >= {"person", "sustained", "employed_end", "served"}


def test_power_of_a_small_pilot_end_to_end(small_runs):
    pilot, base = small_runs
    for design in ("rct", "comparison-region"):
        result = evaluate(pilot, base, design, [50, 200], "served", resamples=60, seed=1)
        assert list(result.table["size"]) == [50, 200]
        assert result.table["power"].between(0, 1).all()
        assert result.effect["mean"] > 0  # more people served in the pilot
    same = evaluate(base, base, "rct", [100], "sustained_3m", resamples=60)
    assert same.effect["mean"] == 0.0 and math.isinf(same.required_size)


def test_power_command_rejects_bad_options_in_one_line(tmp_path: Path):
    runner = CliRunner()
    for args in (["pirkanmaa", "--baseline", "baseline", "--design", "cluster"],
                 ["pirkanmaa", "--baseline", "baseline", "--sizes", "ten"],
                 ["pirkanmaa", "--baseline", "baseline", "--outcome", "happiness"]):
        result = runner.invoke(app, ["power", *args])
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1
        assert result.output.startswith("error:")


def test_critical_values_are_scipy_stats_own_to_the_bit() -> None:
    # power.py computes them with scipy.special, which scipy.stats calls (a lighter import)
    from scipy import stats

    from simulation.experiments.power import _critical

    df = np.array([1.0, 2.0, 4.0, 9.0, 30.0, 1e3])
    for alpha in (0.01, 0.05, 0.1):
        assert _critical(alpha) == stats.norm.ppf(1 - alpha / 2)
        np.testing.assert_array_equal(_critical(alpha, df), stats.t.ppf(1 - alpha / 2, df))
        for power in (0.5, 0.8, 0.9):
            assert mde_factor(alpha, power) == float(stats.norm.ppf(1 - alpha / 2)
                                                     + stats.norm.ppf(power))

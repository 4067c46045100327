"""The ABC posterior: seeded and batch-independent draws, resuming after an interruption, a
simulation-based calibration check and the posterior file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration.abc_smc import SmcSettings, run_smc
from calibration.priors import Prior
from calibration.sbc import SCHEDULE, coverage, rank_uniformity, toy_case
from simulation.experiments.posterior import (
    ParameterSpec,
    PosteriorError,
    read_posterior,
    write_posterior,
)

PRIORS = [Prior(ParameterSpec("a", ("x.a",)), "uniform", 0.0, 1.0),
          Prior(ParameterSpec("b", ("x.b",)), "normal", -2.0, 2.0, 0.0, 1.0)]
OBSERVED = {"m1": 0.3, "m2": 0.5}
WEIGHTS = {"m1": 1 / 0.05 ** 2, "m2": 1 / 0.1 ** 2}


class Toy:
    """A stochastic toy simulator; can be told to fail (an interruption) in one generation."""

    def __init__(self, fail_in: int | None = None) -> None:
        self.fail_in = fail_in
        self.calls = 0

    def __call__(self, t: int, first: int, thetas: list[dict[str, float]]
                 ) -> list[dict[str, float]]:
        if t == self.fail_in:
            raise KeyboardInterrupt
        self.calls += len(thetas)
        out = []
        for j, theta in enumerate(thetas):
            rng = np.random.default_rng([7, t, first + j])
            out.append({"m1": theta["a"] + rng.normal(0, 0.02),
                        "m2": theta["a"] + theta["b"] + rng.normal(0, 0.05)})
        return out


def smc(db: Path, simulate: Toy, generations: int = 4, batch: int = 2):
    settings = SmcSettings(population=40, generations=generations, max_simulations=100_000,
                           min_epsilon=0.5, seed=11, batch=batch)
    return run_smc(PRIORS, OBSERVED, WEIGHTS, simulate, db, settings, log=lambda _: None)


def test_the_same_seed_gives_identical_draws_whatever_the_batch_size(tmp_path):
    one = smc(tmp_path / "one.db", Toy())
    two = smc(tmp_path / "two.db", Toy())
    wide = smc(tmp_path / "wide.db", Toy(), batch=53)
    for other in (two, wide):
        pd.testing.assert_frame_equal(one.draws, other.draws)
        assert np.array_equal(one.weights, other.weights)
    assert len(one.generations) == 4 and one.generations["epsilon"].is_monotonic_decreasing
    assert one.draws["a"].between(0.0, 1.0).all()
    # the posterior moved towards a = 0.3 (m1 ≈ a) from the prior's 0.5
    assert abs(np.average(one.draws["a"], weights=one.weights) - 0.3) < 0.1


def test_an_interrupted_run_resumes_to_the_uninterrupted_draws(tmp_path):
    straight = smc(tmp_path / "straight.db", Toy())
    db = tmp_path / "interrupted.db"
    with pytest.raises(KeyboardInterrupt):
        smc(db, Toy(fail_in=2))  # generations 0 and 1 are stored, 2 is lost
    again = Toy()
    resumed = smc(db, again)
    pd.testing.assert_frame_equal(straight.draws, resumed.draws)
    assert np.array_equal(straight.weights, resumed.weights)
    assert resumed.resumed_from == 2
    assert again.calls < straight.generations["simulations"].sum()  # only 2 and 3 were redone
    # and a finished run asked again does nothing but read its history
    idle = Toy()
    smc(db, idle)
    assert idle.calls == 0


def test_simulation_based_calibration_covers_the_truth_at_about_the_nominal_rate(tmp_path):
    # noisy ABC with a fixed ε schedule is exact, so coverage is nominal up to chance;
    # 14 datasets × 2 parameters: a 90 % interval misses 2.8 times on average
    case = toy_case()
    dims = len(case.tolerances)
    settings = SmcSettings(population=40, generations=len(SCHEDULE), max_simulations=10 ** 9,
                           min_acceptance=0.0, seed=5,
                           schedule=tuple(e * math.sqrt(dims) for e in SCHEDULE))
    result = coverage(case, 14, settings, tmp_path, noisy=True, log=lambda _: None)
    assert result["intervals"] == 28
    assert result["coverage_90"] >= 0.75  # P(< 0.75 | 0.9) ≈ 1 %
    assert 0.25 <= result["coverage_50"] <= 0.8
    assert result["rank_p"] > 0.01  # the ranks of the truth look uniform


def test_rank_uniformity_tells_calibrated_from_overconfident_and_biased_posteriors():
    rng = np.random.default_rng(3)
    calibrated = rng.uniform(size=200)
    # too narrow a posterior puts the truth in its tails: ranks pile up near 0 and 1
    overconfident = np.where(rng.uniform(size=200) < 0.5, rng.uniform(0, 0.15, 200),
                             rng.uniform(0.85, 1, 200))
    biased = rng.beta(2, 1, size=200)  # the posterior sits below the truth too often
    assert rank_uniformity(calibrated) > 0.05
    assert rank_uniformity(overconfident) < 1e-6
    assert rank_uniformity(biased) < 1e-3


def _spec(name: str, path: str) -> ParameterSpec:
    return ParameterSpec(name, (path,), "value", (), (0.01,))


def test_the_posterior_file_round_trips_and_samples_by_weight(tmp_path):
    specs = [_spec("sep", "flows.separation_per_week"), _spec("lte", "flows.long_term_exit")]
    draws = pd.DataFrame({"sep": [0.005, 0.010, 0.015], "lte": [0.01, 0.012, 0.014]})
    path = tmp_path / "posterior.parquet"
    version = write_posterior(path, specs, draws, np.array([0.0, 3.0, 1.0]), {"seed": 4})
    posterior = read_posterior(path)
    assert posterior.version == version and posterior.meta["seed"] == 4
    assert posterior.weights.tolist() == [0.0, 0.75, 0.25]
    sample = posterior.sample(400, seed=9)
    assert sample == posterior.sample(400, seed=9)  # seeded
    rows = [d.row for d in sample]
    assert 0 not in rows and rows.count(1) == 300 and rows.count(2) == 100  # systematic
    assert sample[0].tags() == {"posterior": version, "posterior_draw": sample[0].row}
    changed = write_posterior(tmp_path / "other.parquet", specs, draws.assign(sep=0.006),
                              np.ones(3), {})
    assert changed != version


@pytest.mark.parametrize(("content", "field"), [
    (None, "file: no such posterior file"),
    (b"not parquet", "file: not a Parquet file"),
])
def test_a_bad_posterior_file_is_one_line(tmp_path, content, field):
    path = tmp_path / "posterior.parquet"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PosteriorError) as caught:
        read_posterior(path)
    assert str(caught.value).startswith(f"{path}: {field}") and "\n" not in str(caught.value)


def test_prior_only_parameters_keep_their_prior_however_few_rows_the_weights_favour(tmp_path):
    specs = [_spec("sep", "flows.separation_per_week"), _spec("free", "flows.long_term_exit")]
    draws = pd.DataFrame({"sep": np.linspace(0.005, 0.015, 50),
                          "free": np.linspace(0.01, 0.02, 50)})
    weights = np.zeros(50)
    weights[7] = 1.0  # the fit favours one row
    path = tmp_path / "posterior.parquet"
    write_posterior(path, specs, draws, weights, {"fitted": ["sep"]})
    sample = read_posterior(path).sample(40, seed=3)
    assert {d.values["sep"] for d in sample} == {draws["sep"][7]}
    assert len({d.values["free"] for d in sample}) > 20  # independent prior draws


def test_k_out_of_range_is_one_line(tmp_path):
    path = tmp_path / "posterior.parquet"
    write_posterior(path, [_spec("sep", "flows.separation_per_week")],
                    pd.DataFrame({"sep": [0.01]}), np.ones(1), {})
    with pytest.raises(PosteriorError, match=r"--posterior: K must be 1–1000, got 0"):
        read_posterior(path).sample(0, 1)

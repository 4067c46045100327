"""The analytic limit: homogeneous constant hazards and no interventions.

Everyone has the same job-finding hazard f (no heterogeneity, no duration
dependence, M = A S so the hazard does not depend on the crowd, vacancies never
bind), employed people lose their jobs at rate s, and nobody enters or leaves
the labour force. Then the unemployment share tends to s / (s + f) and
completed spells are geometric with mean 1/f.

In the weekly step a job found this week can be lost the same week, so the
exact stationary share of this discrete-time chain is s / (s + f (1 - s)); it
is within 1 % of s / (s + f) for the rates used here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import State
from simulation.params.loading import load_scenario
from simulation.params.schema import N_BANDS

F, S = 0.10, 0.01
SEEKERS = 40_000
WEEKS = 200        # measured in the stationary state
DRAIN_WEEKS = 100  # without job losses, so every spell begun is completed: (1-f)^100 ≈ 3e-5


def _homogeneous_scenario():
    scenario = load_scenario("baseline", overrides={
        "region": {"job_seekers": SEEKERS},
        "population": {"employability_sigma": 0.0},
        "labour_market": {
            "education_employability": [1.0] * 3, "age_employability": [1.0] * 3,
            "work_hazard_by_band": [F] * N_BANDS, "matching_elasticity": 1.0,
            "vacancies_per_seeker": 10.0, "demand_growth_per_year": 0.0},
        "flows": {"inflow_per_week": 0.0, "prior_job_losses_per_week": 0.0,
                  "separation_per_week": S,
                  "exit_out_of_labour_force_per_week": 0.0, "long_term_exit_per_week": 0.0,
                  "exit_to_study_per_week": 0.0,
                  "return_from_study_per_week": 0.0},
        "public_office": {"meeting_effect": 0.0},
        # no national rule either: its responses would send people to services
        "national_policy": {"activation_model": {"enabled": False}},
    })
    return scenario.model_copy(update={"services": {}, "service_mix": {}})


@pytest.fixture(scope="module")
def homogeneous_run():
    scenario = _homogeneous_scenario()
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(2024))
    s = model.seekers
    # Start in the chain's stationary distribution (each person independently
    # unemployed with the exact stationary probability), so no burn-in is needed.
    # With a constant hazard the time already spent unemployed does not matter, so
    # every initial spell is counted from its first week.
    exact = S / (S + F * (1 - S))
    employed = np.random.default_rng(7).random(s.n) >= exact
    s.view("state")[employed] = State.EMPLOYED
    s.view("employed_since")[employed] = 0
    s.view("spell_weeks")[:] = np.where(employed, 0, 1)
    shares = []
    try:
        for _ in range(WEEKS):
            model.step()
            stock = np.bincount(s.view("state"), minlength=len(State))
            shares.append(stock[State.UNEMPLOYED] / (stock[State.UNEMPLOYED]
                                                     + stock[State.EMPLOYED]))
        model.scenario = scenario.model_copy(update={
            "flows": scenario.flows.model_copy(update={"separation_per_week": 0.0})})
        model.run(DRAIN_WEEKS)
        still_open = int((s.view("state") == State.UNEMPLOYED).sum())
        yield np.array(shares), model.metrics.completed_spells.copy(), still_open, model
    finally:
        model.release()


def test_homogeneous_model_has_no_one_outside_work_and_unemployment(homogeneous_run) -> None:
    _, _, _, model = homogeneous_run
    stock = np.bincount(model.seekers.view("state"), minlength=len(State))
    assert stock[State.UNEMPLOYED] + stock[State.EMPLOYED] == SEEKERS
    assert not model.services.pools


def test_unemployment_share_converges_to_s_over_s_plus_f(homogeneous_run) -> None:
    shares, _, _, _ = homogeneous_run
    mean_share = shares.mean()
    assert mean_share == pytest.approx(S / (S + F), rel=0.02)
    assert mean_share == pytest.approx(S / (S + F * (1 - S)), rel=0.02)


def test_completed_spells_are_geometric(homogeneous_run) -> None:
    _, spells, still_open, _ = homogeneous_run
    assert spells[0] == 0, "a spell lasts at least one week"
    total = int(spells.sum())
    assert total > 50_000
    assert still_open < 10  # practically every spell begun has been completed
    lengths = np.arange(len(spells))
    mean = float((spells * lengths).sum() / total)
    assert mean == pytest.approx(1 / F, rel=0.02)

    # survival P(K > k) = (1 - f)^k
    k = np.arange(1, 41)
    survival = 1 - np.cumsum(spells[1:41]) / total
    np.testing.assert_allclose(survival, (1 - F) ** k, atol=0.006)

    # chi-square goodness of fit: P(K = k) = f (1 - f)^(k - 1), tail pooled
    top = 60
    observed = np.r_[spells[1:top + 1], spells[top + 1:].sum()]
    probabilities = np.r_[F * (1 - F) ** (np.arange(1, top + 1) - 1), (1 - F) ** top]
    expected = probabilities * observed.sum()
    assert expected.min() > 5
    p_value = stats.chisquare(observed, expected).pvalue
    assert p_value > 0.001, f"spell lengths are not geometric (p = {p_value:.2g})"


def test_a_crowd_dependent_hazard_is_detected_as_not_constant() -> None:
    """Guard against a vacuous test: with M = A S^0.5 V^0.5 the limit does not hold."""
    scenario = _homogeneous_scenario()
    market = scenario.labour_market.model_copy(update={"matching_elasticity": 0.5,
                                                       "vacancies_per_seeker": 0.05})
    scenario = scenario.model_copy(update={
        "labour_market": market, "region": scenario.region.model_copy(
            update={"job_seekers": 4000})})
    model = RegionalLabourMarket(scenario, rng=1)
    try:
        model.run(30)
        at_risk, to_work, _ = model.metrics.duration_exits
        hazard = to_work.sum() / at_risk.sum()
    finally:
        model.release()
    assert abs(hazard - F) > 0.1 * F

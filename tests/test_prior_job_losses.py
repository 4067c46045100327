"""Job losses of former job seekers who found work before the run: they register again at
a rate that falls off at the separation hazard, as the pool of the earlier re-employed empties
(``flows.prior_job_losses_per_week``)."""

from __future__ import annotations

import numpy as np

from simulation.experiments.runner import RunRequest, run_replication
from simulation.params.loading import load_scenario

N, WEEKS, PRIOR, SEPARATION = 4000, 40, 0.02, 0.03


def _registrations(prior: float) -> np.ndarray:
    scenario = load_scenario("baseline", overrides={
        "region": {"job_seekers": N},
        "flows": {"inflow_per_week": 0.0, "prior_job_losses_per_week": prior,
                  "separation_per_week": SEPARATION},
        "national_policy": {"activation_model": {"enabled": False}}})
    run = run_replication(RunRequest(scenario, entropy=5, replication=0, weeks=WEEKS))
    region = run.weekly[run.weekly["scope"] == "region"].sort_values("week")
    return region["registrations"].to_numpy(dtype=float)


def test_prior_job_losses_register_at_a_rate_that_falls_off_at_the_separation_hazard() -> None:
    registrations = _registrations(PRIOR)
    survival = (1 - SEPARATION) ** np.arange(WEEKS)
    expected = N * PRIOR * survival  # Poisson means, week by week (hand-worked)
    # the total within four Poisson standard deviations of N·L·(1 − (1 − s)^40)/s
    assert abs(registrations.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())
    # and the decline: the first ten weeks bring (1 − s)^-30 ≈ 2.5 times the last ten
    first, last = registrations[:10].sum(), registrations[-10:].sum()
    ratio = expected[:10].sum() / expected[-10:].sum()
    assert abs(first / last - ratio) < 0.25 * ratio


def test_without_prior_job_losses_and_inflow_nobody_registers() -> None:
    assert _registrations(0.0).sum() == 0

"""The matching function in its analytic limit: identical searchers in one sector.

With N identical unemployed searchers of search intensity h (no meetings, boosts or
providers) and V open vacancies in their sector, tightness θ = V / (N h) normalised to its
value at the start θ0, each searcher is hired with chance h · A · (θ/θ0)^(1−α), and never more
hires are expected than there are vacancies (the chance is then V / N). A stand-in random
stream with evenly spread draws makes the number hired exactly round(chance · N), so the
count can be worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.engine.matching import match
from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import NO_ONE, State
from simulation.params.loading import load_scenario

N = 2000


class EvenDraws:
    """``random(n)`` gives n draws spread evenly over [0, 1) (a fixed shuffle of them, so
    that who is hired does not follow the index); anything else is a real generator's."""

    def __init__(self) -> None:
        self._real = np.random.default_rng(0)

    def random(self, n: int) -> np.ndarray:
        return self._real.permutation((np.arange(n) + 0.5) / n)

    def __getattr__(self, name: str):
        return getattr(self._real, name)


def _hires(vacancies: int, searchers: int = N, tightness_0: float = 1.0,
           elasticity: float = 0.5, efficiency: float = 1.0) -> tuple[int, float]:
    """People hired in one matching step; also the searchers' intensity h."""
    scenario = load_scenario("baseline", overrides={
        "region": {"job_seekers": N + 500},
        "labour_market": {"matching_elasticity": elasticity,
                          "matching_efficiency": efficiency}})
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(2))
    try:
        model.clock.week = 1
        s = model.seekers
        everyone = np.arange(s.n)
        s.state[everyone] = State.OUT_OF_LABOUR_FORCE
        s.service[everyone] = NO_ONE
        who = everyone[:searchers]
        s.state[who] = State.UNEMPLOYED
        s.sector[who] = 0
        for name, value in (("employability", 1.0), ("search_effort", 1.0),
                            ("provider_effort", 1.0), ("weeks_since_work", 0),
                            ("last_meeting", -10_000), ("boost_until", -1)):
            getattr(s, name)[who] = value
        for firm in model.firms:
            firm.posted, firm.hidden = 0, 0
        model.firms_by_sector[0][0].posted = vacancies
        model.tightness_0[0] = tightness_0
        model.rng = EvenDraws()
        match(model)
        hired = int((s.state[who] == State.EMPLOYED).sum())
        assert (s.state[everyone[searchers:]] == State.OUT_OF_LABOUR_FORCE).all()
        h = scenario.labour_market.work_hazard_by_band[0]
        return hired, h
    finally:
        model.release()


def _by_hand(vacancies: int, searchers: int, h: float, tightness_0: float = 1.0,
             elasticity: float = 0.5, efficiency: float = 1.0) -> int:
    theta = vacancies / (searchers * h) / tightness_0
    chance = h * efficiency * theta ** (1 - elasticity)
    chance = min(chance, vacancies / searchers)       # never more hires than vacancies
    return round(chance * searchers)


@pytest.mark.parametrize(("vacancies", "elasticity", "efficiency", "tightness_0"), [
    (40, 0.5, 1.0, 1.0),      # 57 hires expected of 40 vacancies: the cap binds
    (400, 0.5, 1.0, 1.0),
    (1600, 0.5, 1.0, 1.0),    # four times the vacancies: twice the hires when α = 0.5
    (400, 0.3, 1.0, 1.0),
    (400, 0.5, 0.5, 1.0),
    (1600, 0.5, 1.0, 4.0),    # the same tightness relative to the start as 400 at θ0 = 1
])
def test_hires_follow_the_cobb_douglas_matching_function(vacancies, elasticity, efficiency,
                                                         tightness_0):
    hired, h = _hires(vacancies, elasticity=elasticity, efficiency=efficiency,
                      tightness_0=tightness_0)
    assert hired == _by_hand(vacancies, N, h, tightness_0, elasticity, efficiency)


def test_more_vacancies_raise_hires_and_more_searchers_lower_each_ones_chance():
    few, h = _hires(400)
    many, _ = _hires(1600)
    assert many > few > 0
    # hires scale as V^(1−α) for fixed searchers (α = 0.5: twice the hires for four times the
    # vacancies)
    assert many / few == pytest.approx(math.sqrt(4), rel=0.02)
    crowded, _ = _hires(400, searchers=N)
    alone, _ = _hires(400, searchers=N // 4)
    assert alone / (N // 4) > crowded / N


def test_never_more_hires_than_open_vacancies():
    hired, h = _hires(3, tightness_0=1e-6)   # a huge relative tightness: the cap binds
    assert hired == 3 == _by_hand(3, N, h, 1e-6)

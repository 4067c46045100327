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
from simulation.params.schema import SERVICE_NAMES

N = 2000
TRAINING = SERVICE_NAMES.index("labour_market_training")


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
        for name, value in (("employability", 1.0),
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


def test_few_searchers_still_match_by_the_formula():
    hired, h = _hires(10, searchers=10)    # effective search 10 · h = 0.4 of a searcher
    assert hired == _by_hand(10, 10, h) > 0


def test_effective_search_multiplies_the_meeting_and_service_effects_and_is_zero_in_work():
    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 500}})
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(3))
    model.release()
    model.clock.week = 20
    s, office = model.seekers, scenario.public_office
    people = np.arange(6)
    for name, value in (("employability", 2.0),
                        ("provider_effort", 1.0), ("weeks_since_work", 0),
                        ("last_meeting", -10_000), ("boost_until", -1), ("coach", 0)):
        getattr(s, name)[people] = value
    s.state[people] = State.UNEMPLOYED
    s.last_meeting[1] = 20 - office.meeting_effect_weeks + 1     # met within the effect's weeks
    s.last_meeting[2] = 20 - office.meeting_effect_weeks          # the effect has just run out
    s.boost[3], s.boost_until[3] = 1.5, 20                        # after a service, until now
    s.state[4], s.service[4] = State.IN_SERVICE, TRAINING          # locked in a training
    s.state[5] = State.EMPLOYED
    search = model.effective_search()[people]
    h = scenario.labour_market.work_hazard_by_band[0]
    meeting = 1 + office.meeting_effect * (52 / 12) / office.meeting_effect_weeks \
        * model.office.effect[0]
    lock_in = scenario.services["labour_market_training"].lock_in
    assert search == pytest.approx([2 * h, 2 * h * meeting, 2 * h, 2 * h * 1.5,
                                    2 * h * lock_in, 0.0], rel=1e-6)


def test_firms_start_with_the_regions_vacancies_and_post_as_many_as_expire_and_fill():
    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 4000}})
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(4))
    model.release()
    market = scenario.labour_market
    vacancies = market.vacancies_per_seeker * scenario.region.job_seekers
    posted = sum(f.posted for f in model.firms)
    assert abs(posted - vacancies) < 5 * math.sqrt(vacancies)     # Poisson around V
    search = model.effective_search()
    for k, firms in enumerate(model.firms_by_sector):
        v_k = vacancies * scenario.region.sector_shares[k]
        s_k = search[model.seekers.view("sector") == k].sum()
        # steady state: vacancies posted = vacancies expiring (v/d) + filled (A · S)
        expected = v_k / market.vacancy_duration_weeks + market.matching_efficiency * s_k
        assert sum(f.posting_rate for f in firms) == pytest.approx(expected, rel=1e-9)
        assert model.tightness_0[k] == pytest.approx(v_k / s_k, rel=1e-9)


def _assign_sector_by_sector(region, hired: np.ndarray, open_weight: np.ndarray) -> None:
    """The plain rule: sector by sector, one multinomial over its firms, then its fills."""
    from simulation.engine.actions import fill

    s, rng = region.seekers, region.rng
    sector_of_firm = region.firm_table.view("sector")
    for k in range(region.n_sectors):
        members = hired[s.sector[hired] == k]
        firms = np.flatnonzero(sector_of_firm == k)
        if len(members) == 0 or len(firms) == 0:
            continue
        weights = open_weight[firms]
        if weights.sum() <= 0:
            weights = np.ones(len(firms))
        counts = rng.multinomial(len(members), weights / weights.sum())
        s.firm[members] = np.repeat(firms, counts)
        hiring = np.flatnonzero(counts)
        fill(region, firms[hiring], counts[hiring], matched=True)


@pytest.mark.parametrize("name", ["baseline", "keski_suomi_growth_booster"])
def test_hires_go_to_the_same_firms_as_with_a_draw_per_sector(name: str) -> None:
    """All sectors' multinomial draws in one call (shares padded in front with zeros) give
    the same firms, fills and generator state as one call per sector; a sector with no
    open vacancies spreads its hires evenly; the growth economy's hidden fills agree too."""
    from simulation.engine.matching import assign_to_firms

    results = []
    for assign in (assign_to_firms, _assign_sector_by_sector):
        scenario = load_scenario(name, overrides={"region": {"job_seekers": 1500}})
        model = RegionalLabourMarket(scenario, rng=3)
        try:
            model.run(6)
            table = model.firm_table
            in_sector_1 = table.view("sector") == 1
            table.posted[: table.n][in_sector_1] = 0  # sector 1: nothing open
            table.hidden[: table.n][in_sector_1] = 0
            open_weight = (table.view("posted").astype(np.float64)
                           + 0.5 * table.view("hidden"))
            hired = np.flatnonzero(model.seekers.view("state") == State.UNEMPLOYED)[::3]
            assign(model, hired, open_weight)
            results.append((model.seekers.view("firm").copy(),
                            {c: table.view(c).copy() for c in ("posted", "hidden", "hires",
                                                               "size")},
                            model.rng.random(3).tolist()))
        finally:
            model.release()
    (firm_a, table_a, next_a), (firm_b, table_b, next_b) = results
    np.testing.assert_array_equal(firm_a, firm_b)
    for column in table_a:
        np.testing.assert_array_equal(table_a[column], table_b[column], err_msg=column)
    assert next_a == next_b
    assert (firm_a >= 0).sum() > 100  # hires were made

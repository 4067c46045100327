"""A stand-in region for tests that run one part of the week on hand-placed people.

It has exactly what those parts read (``engine.interface.Region``): the job-seeker table, the
clock, the ledger, the weekly metrics, a service catalogue of hand-made pools, an office of
hand-made coaches, and a random stream a test may replace with chosen draws.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from simulation.engine.clock import Clock
from simulation.engine.ledger import Ledger
from simulation.engine.metrics import WeeklyMetrics
from simulation.engine.payments import weekly_salaries
from simulation.engine.seekers import Benefit, JobSeekers, State
from simulation.engine.services import service_array
from simulation.params.loading import load_scenario


class Draws:
    """A random stream whose ``random(n)`` calls return chosen arrays, in order."""

    def __init__(self, *arrays) -> None:
        self.arrays = [np.asarray(a, dtype=float) for a in arrays]

    def random(self, n: int) -> np.ndarray:
        values = self.arrays.pop(0)
        assert len(values) == n, (len(values), n)
        return values


# Round numbers, so that every euro below can be worked out by hand.
RULES = {
    "benefits": {"basic_daily_eur": 30.0, "earnings_related_daily_eur": 50.0,
                 "service_increase_daily_eur": 5.0, "days_per_week": 5,
                 "municipal_share_thresholds": [300, 1000], "municipal_shares": [0.5, 0.7]},
    "taxes": {"monthly_wage_eur": 2600.0, "state_tax_rate": 0.05, "municipal_tax_rate": 0.2,
              "contributions_rate": 0.25},  # 2,600 € a month is 600 € a week
    "wage_subsidy": {"rates": [0.3, 0.4, 0.5], "municipal_top_up": 0.0},
}


class StandIn:
    """A region of ``n`` hand-placed people (all unemployed, no benefit, until set)."""

    def __init__(self, n: int, pools: list | None = None, coaches: list | None = None,
                 overrides: dict | None = None) -> None:
        self.scenario = load_scenario("baseline", overrides={**RULES, **(overrides or {})})
        self.clock = Clock()
        self.seekers = JobSeekers(n)
        self.seekers.add(n)
        self.ledger = Ledger()
        self.metrics = WeeklyMetrics(self.seekers, self.clock, self.ledger,
                                     self.scenario.start_date)
        self.mechanisms: list = []
        self.rng = np.random.default_rng(0)
        self.follow_on: list[np.ndarray] = []
        self.firms: list = []
        self.released: list[int] = []
        self.left_waiting: list[int] = []
        pools = pools or []
        self.pool_by_person: dict[int, int] = {}
        self.services = SimpleNamespace(
            pools=pools, pool_of=self._pool_of,
            # by pool, as the catalogue keeps them: a place's weekly price and who pays it
            pool_cost=np.array([p.service.cost_per_week_eur for p in pools], dtype=float),
            pool_payer_shares=np.array([p.payer_shares for p in pools],
                                       dtype=float).reshape(len(pools), 3),
            by_service=lambda field, default: service_array(self.scenario, field, default),
            release=lambda index: self.released.extend(np.asarray(index).tolist()),
            leave_waiting_list=lambda index: self.left_waiting.extend(np.asarray(index).tolist()))
        self.office = SimpleNamespace(coaches=coaches or [],
                                      weekly_salaries=weekly_salaries(coaches or []))

    @property
    def week(self) -> int:
        return self.clock.week

    def _pool_of(self, index: np.ndarray) -> np.ndarray:
        return np.array([self.pool_by_person[int(i)] for i in index], dtype=np.int64)

    def set(self, person: int, state: State, *, target: bool = False,
            benefit: Benefit = Benefit.NONE, pool: int | None = None, **columns) -> None:
        s = self.seekers
        s.state[person] = state
        s.target[person] = target
        s.benefit[person] = benefit
        if pool is not None:
            self.pool_by_person[person] = pool
            s.service[person] = pool
        for name, value in columns.items():
            getattr(s, name)[person] = value

    def record(self) -> None:
        """The weekly record, with no service admissions (none happen here)."""
        self.metrics.record((np.zeros(2, np.int64), np.zeros(2), np.zeros((2, 0), np.int64)),
                            [], {})

    def frame(self) -> pd.DataFrame:
        return self.metrics.frame()


def pool(kind: str, cost_per_week: float, payer_shares: tuple[float, float, float]):
    return SimpleNamespace(service=SimpleNamespace(kind=kind, cost_per_week_eur=cost_per_week),
                           payer_shares=payer_shares)



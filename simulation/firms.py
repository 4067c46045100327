"""Firms: the employers that post vacancies and hire job seekers.

Firms are few enough to be ordinary Mesa agents. Each posts new vacancies at a
rate set by its size and the business cycle; a share of them is never
advertised (hidden vacancies, reachable only through networks); unfilled
vacancies are withdrawn after a while.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from simulation.model import RegionalLabourMarket


class Firm(mesa.Agent):
    """An employer in one sector."""

    def __init__(self, model: RegionalLabourMarket, number: int, sector: int, size: int,
                 posting_rate: float, growth: str = "stable") -> None:
        super().__init__(model)
        self.number = number                 # position in the model's firm list
        self.sector = sector
        self.size = size
        self.growth = growth
        self.posting_rate = posting_rate     # expected new vacancies per week
        self.posted = 0                      # advertised open vacancies
        self.hidden = 0                      # open vacancies filled only through networks
        self.hires = 0
        self.separations = 0
        self.need_rate = 0.0                 # growth firms: recruitment needs per week (growth)
        self.capability = 1.0                # share of needs turned into vacancies (growth)

    def step(self) -> None:
        market = self.model.scenario.labour_market
        rng = self.model.rng
        demand = (1.0 + market.demand_growth_per_year) ** (self.model.week / 52.0)
        new = rng.poisson(self.posting_rate * demand)
        hidden = rng.binomial(new, market.hidden_vacancy_share) if new else 0
        withdraw = 1.0 / market.vacancy_duration_weeks
        self.posted += new - hidden - rng.binomial(self.posted, withdraw)
        self.hidden += hidden - rng.binomial(self.hidden, withdraw)

    def fill(self, hires: int, from_hidden: int | None = None) -> tuple[int, int]:
        """Fill ``hires`` vacancies, advertised ones first unless ``from_hidden`` says how many
        of them were hidden ones; returns the advertised and hidden vacancies filled."""
        if from_hidden is None:
            from_posted = min(hires, self.posted)
            filled_hidden = min(self.hidden, hires - from_posted)
        else:
            filled_hidden = min(from_hidden, self.hidden)
            from_posted = min(hires - filled_hidden, self.posted)
            filled_hidden = min(self.hidden, hires - from_posted)
        self.posted -= from_posted
        self.hidden -= filled_hidden
        self.hires += hires
        self.size += hires
        return from_posted, filled_hidden

    def separate(self, leavers: int) -> None:
        self.separations += leavers
        self.size = max(0, self.size - leavers)


def draw_firm_sizes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Employees per firm: a heavy-tailed size distribution, as in any region."""
    return np.maximum(1, rng.lognormal(2.3, 1.2, size=count)).astype(np.int64)

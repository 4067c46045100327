"""Firms: the employers that post vacancies and hire job seekers.

Firms are few enough to be ordinary Mesa agents. Each posts new vacancies at a
rate set by its size and the business cycle; a share of them is never
advertised (hidden vacancies, reachable only through networks); unfilled
vacancies are withdrawn after a while.
"""

from __future__ import annotations

import mesa
import numpy as np

from simulation.params.schema import LabourMarket


class Firm(mesa.Agent):
    """An employer in one sector."""

    def __init__(self, model: mesa.Model, number: int, sector: int, size: int,
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
        model = self.model
        post_vacancies([self], model.scenario.labour_market, model.rng, model.week)

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


def post_vacancies(firms: list[Firm], market: LabourMarket, rng: np.random.Generator,
                   week: int) -> None:
    """A week of vacancy posting and withdrawal for many firms, drawn on arrays.

    New vacancies are Poisson at each firm's posting rate times the business
    cycle; a share of them is hidden; each open vacancy is withdrawn with
    probability 1 / mean duration.
    """
    if not firms:
        return
    demand = (1.0 + market.demand_growth_per_year) ** (week / 52.0)
    rates = np.fromiter((f.posting_rate for f in firms), float, len(firms))
    posted = np.fromiter((f.posted for f in firms), np.int64, len(firms))
    hidden = np.fromiter((f.hidden for f in firms), np.int64, len(firms))
    new = rng.poisson(rates * demand)
    new_hidden = rng.binomial(new, market.hidden_vacancy_share)
    withdraw = 1.0 / market.vacancy_duration_weeks
    posted += new - new_hidden - rng.binomial(posted, withdraw)
    hidden += new_hidden - rng.binomial(hidden, withdraw)
    for firm, p, h in zip(firms, posted.tolist(), hidden.tolist(), strict=True):
        firm.posted, firm.hidden = p, h


def draw_firm_sizes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Employees per firm: a heavy-tailed size distribution, as in any region."""
    return np.maximum(1, rng.lognormal(2.3, 1.2, size=count)).astype(np.int64)

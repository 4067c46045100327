"""Firms: the employers that post vacancies and hire job seekers.

Firms are few enough to be ordinary Mesa agents; their numbers live in one table of arrays
(``FirmTable``) so the week's posting and matching run on arrays. Each posts new vacancies at a
rate set by its size and the business cycle; a share of them is never
advertised (hidden vacancies, reachable only through networks); unfilled
vacancies are withdrawn after a while.
"""

from __future__ import annotations

import mesa
import numpy as np

from simulation.params.schema import LabourMarket

FIRM_KINDS = ("stable", "growth", "solo", "anchor")  # solo: a solo entrepreneur's firm


class FirmTable:
    """The firms' numbers as arrays, one row per firm (its agent's ``number``), so a week's
    posting, withdrawal and matching run on arrays; the ``Firm`` agent reads and writes its
    row."""

    COLUMNS: dict[str, type] = {
        "sector": np.int64, "size": np.int64,
        "posting_rate": np.float64,   # expected new vacancies per week
        "posted": np.int64,           # advertised open vacancies
        "hidden": np.int64,           # open vacancies filled only through networks
        "hires": np.int64, "separations": np.int64,
        "need_rate": np.float64,      # growth firms: recruitment needs per week (growth)
        "capability": np.float64,     # share of needs turned into vacancies (growth)
        "kind": np.int8,              # FIRM_KINDS: stable, growth, solo, anchor
    }

    def __init__(self) -> None:
        self.n = 0
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.zeros(64, dtype=dtype))
        self._by_sector_key: tuple[int, int] | None = None
        self._by_sector: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def add(self, sector: int, size: int, posting_rate: float) -> int:
        """A new row; returns its number."""
        if self.n == len(self.sector):
            for name in self.COLUMNS:
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.zeros_like(old)]))
        number = self.n
        self.n += 1
        self.sector[number], self.size[number] = sector, size
        self.posting_rate[number] = posting_rate
        self.capability[number] = 1.0
        return number

    def view(self, name: str) -> np.ndarray:
        """The live rows of one column."""
        return getattr(self, name)[: self.n]

    def by_sector(self, n_sectors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The firms by sector, each sector's in firm order (numbers), how many each sector
        has, and where each sector's begin. A firm's sector never changes and firms are only
        added, so this holds until the next firm is."""
        key = (self.n, n_sectors)
        if self._by_sector_key != key:
            sector = self.view("sector")
            counts = np.bincount(sector, minlength=n_sectors)
            self._by_sector = (np.argsort(sector, kind="stable"), counts,
                               np.cumsum(counts) - counts)
            self._by_sector_key = key
        return self._by_sector

    def fill(self, numbers: np.ndarray, hires: np.ndarray,
             from_hidden: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Firms ``numbers`` (each listed once) fill ``hires`` vacancies each: advertised
        ones first unless ``from_hidden`` says how many were hidden ones. Returns the
        advertised and hidden vacancies filled."""
        posted, hidden = self.posted[numbers], self.hidden[numbers]
        if from_hidden is None:
            from_posted = np.minimum(hires, posted)
            filled_hidden = np.minimum(hidden, hires - from_posted)
        else:
            filled_hidden = np.minimum(from_hidden, hidden)
            from_posted = np.minimum(hires - filled_hidden, posted)
            filled_hidden = np.minimum(hidden, hires - from_posted)
        self.posted[numbers] = posted - from_posted
        self.hidden[numbers] = hidden - filled_hidden
        self.hires[numbers] += hires
        self.size[numbers] += hires
        return from_posted, filled_hidden

    def separate(self, numbers: np.ndarray, leavers: np.ndarray) -> None:
        """Firms ``numbers`` (each listed once) lose ``leavers`` employees each."""
        self.separations[numbers] += leavers
        self.size[numbers] = np.maximum(0, self.size[numbers] - leavers)


def _column(name: str) -> property:
    def get(self: Firm):  # noqa: ANN202 - a numpy scalar of the column's type
        return getattr(self.table, name)[self.number]

    def put(self: Firm, value: float) -> None:
        getattr(self.table, name)[self.number] = value

    return property(get, put, doc=f"The firm's ``{name}`` (a row of its FirmTable).")


class Firm(mesa.Agent):
    """An employer in one sector; its numbers live in the model's ``FirmTable``."""

    sector = _column("sector")
    size = _column("size")
    posting_rate = _column("posting_rate")
    posted = _column("posted")
    hidden = _column("hidden")
    hires = _column("hires")
    separations = _column("separations")
    need_rate = _column("need_rate")
    capability = _column("capability")

    def __init__(self, model: mesa.Model, table: FirmTable, sector: int, size: int,
                 posting_rate: float, growth: str = "stable") -> None:
        super().__init__(model)
        self.table = table
        self.number = table.add(sector, size, posting_rate)  # its row, and place in the list
        self.growth = growth

    @property
    def growth(self) -> str:
        """What kind of firm: ``stable``, ``growth``, ``solo`` or ``anchor``."""
        return FIRM_KINDS[self.table.kind[self.number]]

    @growth.setter
    def growth(self, kind: str) -> None:
        self.table.kind[self.number] = FIRM_KINDS.index(kind)

    def fill(self, hires: int, from_hidden: int | None = None) -> tuple[int, int]:
        """Fill ``hires`` vacancies, advertised ones first unless ``from_hidden`` says how many
        of them were hidden ones; returns the advertised and hidden vacancies filled."""
        posted, hidden = self.table.fill(
            np.array([self.number]), np.array([hires]),
            None if from_hidden is None else np.array([from_hidden]))
        return int(posted[0]), int(hidden[0])

    def separate(self, leavers: int) -> None:
        self.table.separate(np.array([self.number]), np.array([leavers]))


def post_vacancies(table: FirmTable, market: LabourMarket, rng: np.random.Generator,
                   week: int) -> None:
    """A week of vacancy posting and withdrawal for every firm, drawn on arrays.

    New vacancies are Poisson at each firm's posting rate times the business
    cycle; a share of them is hidden; each open vacancy is withdrawn with
    probability 1 / mean duration.
    """
    if table.n == 0:
        return
    demand = (1.0 + market.demand_growth_per_year) ** (week / 52.0)
    posted, hidden = table.view("posted"), table.view("hidden")
    new = rng.poisson(table.view("posting_rate") * demand)
    new_hidden = rng.binomial(new, market.hidden_vacancy_share)
    withdraw = 1.0 / market.vacancy_duration_weeks
    posted += new - new_hidden - rng.binomial(posted, withdraw)
    hidden += new_hidden - rng.binomial(hidden, withdraw)


def draw_firm_sizes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Employees per firm: a heavy-tailed size distribution, as in any region."""
    return np.maximum(1, rng.lognormal(2.3, 1.2, size=count)).astype(np.int64)

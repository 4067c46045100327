"""Job seekers: Mesa agents whose state lives in numpy arrays.

Hundreds of thousands of job seekers cannot each be stepped in Python, so all
their attributes are columns of one ``JobSeekers`` table (one array per
attribute, indexed by the agent's position) and the weekly dynamics are array
operations. ``JobSeeker`` is the Mesa agent: a thin view that reads its row.
"""

from __future__ import annotations

from enum import IntEnum

import mesa
import numpy as np

from simulation.engine.draws import weighted_choice
from simulation.params.schema import (
    DURATION_BANDS_MONTHS,
    WEEKS_PER_MONTH,
    Scenario,
)


class State(IntEnum):
    """Exactly one of these per job seeker per week."""
    UNEMPLOYED = 0
    IN_SERVICE = 1
    EMPLOYED = 2
    SUBSIDISED = 3
    STUDYING = 4
    OUT_OF_LABOUR_FORCE = 5


class Benefit(IntEnum):
    EARNINGS_RELATED = 0
    BASIC_ALLOWANCE = 1
    LABOUR_MARKET_SUBSIDY = 2
    NONE = 3


# The states and benefits as plain ints for the weekly array code: on Python 3.11 each
# ``State.X`` goes through EnumType.__getattr__, thousands of times a run.
UNEMPLOYED, IN_SERVICE, EMPLOYED, SUBSIDISED, STUDYING, OUT_OF_LABOUR_FORCE = map(int, State)
EARNINGS_RELATED, BASIC_ALLOWANCE, LABOUR_MARKET_SUBSIDY, NO_BENEFIT = map(int, Benefit)

NO_ONE = -1
BAND_EDGES_WEEKS = np.array([m * WEEKS_PER_MONTH for m in DURATION_BANDS_MONTHS[1:]])
# the band of each whole number of weeks up to just past the last edge (longer: the last band);
# a lookup in it is ~8 times cheaper than searchsorted over tens of thousands of spells
BAND_OF_WEEK = np.searchsorted(BAND_EDGES_WEEKS, np.arange(int(BAND_EDGES_WEEKS[-1]) + 2),
                               side="right")

# column name -> dtype and fill value for new rows
COLUMNS: dict[str, tuple[type, float]] = {
    "state": (np.int8, State.UNEMPLOYED),
    "age": (np.float32, 40.0),
    "education": (np.int8, 1),
    "benefit": (np.int8, Benefit.NONE),
    "spell_weeks": (np.int32, 0),          # official registered spell; a service ends it
    "weeks_since_work": (np.int32, 0),     # drives duration dependence
    "benefit_days": (np.int32, 0),         # days paid of the current entitlement
    "lms_days": (np.int32, 0),             # cumulative labour-market subsidy days
    "employability": (np.float32, 1.0),    # latent, mean 1
    "risk_class": (np.int8, 1),            # 0 low, 1 medium, 2 high risk of long-term unemployment
    "municipality": (np.int16, 0),
    "sector": (np.int8, 0),
    "target": (np.bool_, False),
    "coach": (np.int32, NO_ONE),
    "provider": (np.int32, NO_ONE),
    "provider_effort": (np.float32, 1.0),  # job-finding multiplier from a provider's effort
    "service": (np.int8, NO_ONE),
    "episode": (np.int32, NO_ONE),
    "waiting_service": (np.int8, NO_ONE),
    "waiting_since": (np.int32, 0),
    "firm": (np.int32, NO_ONE),
    "employed_since": (np.int32, NO_ONE),
    "placement_week": (np.int32, NO_ONE),  # week of the current open-market placement
    "last_meeting": (np.int32, -10_000),
    "boost": (np.float32, 1.0),            # post-service job-finding multiplier
    "boost_until": (np.int32, -1),
    "served": (np.bool_, False),           # started a service during the run
    "first_placement": (np.int32, NO_ONE),  # week of the first placement in the run
    "sustained": (np.int8, 0),             # longest placement reached: 1 ≥3, 2 ≥6, 3 ≥12 months
    "seeker_years": (np.uint32, 0),        # bit y: a registered job seeker in calendar year y
    "client_years": (np.uint32, 0),        # of the run (from its start year); the same, and in
                                           # the target group
    "registered_week": (np.int32, 0),
    "chained": (np.bool_, False),          # referred on from a service, not from open unemployment
    # the activation model (from 2018): the current review period and a running cut
    "review_paid_days": (np.int16, 0),     # paid benefit days so far in the review period
    "review_service_days": (np.int16, 0),  # days in employment-promoting services in it
    "review_worked": (np.bool_, False),    # worked (or earned as self-employed) in it
    "cut_days_left": (np.int16, 0),        # paid days the 4.65 % cut still applies to
}


class JobSeekers:
    """The job-seeker table. Rows are never removed, so an agent's index is stable."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self._columns = list(COLUMNS)
        for name, (dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full(capacity, fill, dtype=dtype))

    @property
    def capacity(self) -> int:
        return len(self.state)

    def add(self, count: int) -> np.ndarray:
        """Append ``count`` rows with default values; return their indices."""
        if self.n + count > self.capacity:
            new_capacity = max(self.n + count, int(self.capacity * 1.5) + 16)
            for name in self._columns:
                old = getattr(self, name)
                dtype, fill = COLUMNS[name]
                grown = np.full(new_capacity, fill, dtype=dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
        index = np.arange(self.n, self.n + count)
        self.n += count
        return index

    def view(self, name: str) -> np.ndarray:
        """The live rows of one column."""
        return getattr(self, name)[: self.n]

    def band(self, weeks: np.ndarray) -> np.ndarray:
        """Labore duration band (0..6) of a spell length in weeks."""
        if weeks.dtype.kind in "iu":  # whole weeks: look the band up
            # take's clip mode bounds the weeks to the table in the same pass
            return BAND_OF_WEEK.take(weeks, mode="clip")
        return np.searchsorted(BAND_EDGES_WEEKS, weeks, side="right")


class JobSeeker(mesa.Agent):
    """A job seeker. Its attributes live in the model's ``seekers`` table."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __getattr__(self, name: str):
        if name in COLUMNS:
            return getattr(self.model.seekers, name)[self.index]
        raise AttributeError(name)

    @property
    def state_name(self) -> str:
        return State(int(self.state)).name.lower()


ALL_STATES = (1 << len(State)) - 1


def in_states(state: np.ndarray, *states: int) -> np.ndarray:
    """Whether each entry of ``state`` is one of ``states``: one comparison when the states
    are the first or the last ones (``UNEMPLOYED, IN_SERVICE``; ``STUDYING,
    OUT_OF_LABOUR_FORCE``), else one shift of a bit mask of the states; both several times
    cheaper than a table lookup (``table[state]``) or np.isin."""
    mask = 0
    for x in states:
        mask |= 1 << x
    if mask & (mask + 1) == 0:  # 0..k: a run of ones from the lowest bit
        return state <= np.int8(mask.bit_length() - 1)
    if mask == ALL_STATES & ~((1 << min(states)) - 1):  # k..the last state
        return state >= np.int8(min(states))
    hit = (np.int8(mask) >> state) & 1
    return hit.view(np.bool_) if hit.dtype == np.int8 else hit.astype(np.bool_)


def age_group(age: np.ndarray) -> np.ndarray:
    """0: under 25, 1: 25–54, 2: 55 or over."""
    return np.where(age < 25, 0, np.where(age < 55, 1, 2))


def draw_ages(rng: np.random.Generator, count: int, shares: list[float]) -> np.ndarray:
    group = weighted_choice(rng, shares, count)
    low = np.array([18.0, 25.0, 55.0])[group]
    high = np.array([25.0, 55.0, 65.0])[group]
    return (low + rng.random(count) * (high - low)).astype(np.float32)


def base_employability(scenario: Scenario, age: np.ndarray, education: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Latent employability: lognormal (mean 1) times education and age effects."""
    market = scenario.labour_market
    sigma = scenario.population.employability_sigma
    latent = rng.lognormal(-sigma**2 / 2, sigma, size=len(age)) if sigma > 0 else np.ones(len(age))
    return (latent * np.asarray(market.education_employability)[education]
            * np.asarray(market.age_employability)[age_group(age)]).astype(np.float32)


def draw_spell_weeks(rng: np.random.Generator, count: int, shares: list[float]) -> np.ndarray:
    """Initial spell lengths, uniform within each Labore band (>24 months: up to 6 years)."""
    band = weighted_choice(rng, shares, count)
    edges = np.concatenate([[0.0], BAND_EDGES_WEEKS, [6 * 52.0]])
    low, high = edges[band], edges[band + 1]
    return (low + rng.random(count) * (high - low)).astype(np.int32)


def survivor_weights(scenario: Scenario, employability: np.ndarray,
                     spell_weeks: np.ndarray) -> np.ndarray:
    """Relative chance that a person of this employability is still unemployed after the spell.

    Used to draw the initial stock: the long-term unemployed are, on average,
    the less employable (dynamic selection), as the stock of a real region is.
    """
    hazards = np.asarray(scenario.labour_market.work_hazard_by_band)
    edges = np.concatenate([[0.0], BAND_EDGES_WEEKS])
    # cumulative baseline hazard at each band edge, then within the band linearly
    cumulative = np.concatenate([[0.0], np.cumsum(np.diff(edges) * hazards[:-1])])
    band = np.searchsorted(BAND_EDGES_WEEKS, spell_weeks, side="right")
    integrated = cumulative[band] + (spell_weeks - edges[band]) * hazards[band]
    return np.exp(-employability * integrated)


def risk_score(age: np.ndarray, education: np.ndarray, weeks_since_work: np.ndarray,
               benefit: np.ndarray) -> np.ndarray:
    """Profiling rule on observables only (the office does not see employability).

    A points score in the spirit of statistical profiling tools: older age,
    basic education, long time out of work and no earnings-related entitlement
    each raise the risk of long-term unemployment.
    """
    return ((age >= 55) * 2.0 + (age < 25) * 0.5 + (education == 0) * 1.5
            - (education == 2) * 0.5 + np.minimum(weeks_since_work / 26.0, 4.0)
            + (benefit == Benefit.LABOUR_MARKET_SUBSIDY) * 1.0)


def risk_class(score: np.ndarray) -> np.ndarray:
    """Three classes: under 2 points low, under 4 medium, else high."""
    return np.digitize(score, [2.0, 4.0]).astype(np.int8)


def risk_classes(age: np.ndarray, education: np.ndarray, weeks_since_work: np.ndarray,
                 benefit: np.ndarray) -> np.ndarray:
    """``risk_class(risk_score(...))`` in whole numbers, for everyone every week.

    In 52nds of a point every term is a whole number (weeks / 26 points is 2 × weeks), so
    the sum is exact and compares with 104 and 208 (2 and 4 points) as the score does: the
    score's only inexact term, weeks / 26, lies at least 1/26 of a point from any threshold
    unless it equals it exactly (tests/test_seekers.py checks all cases against the score).
    """
    halves = ((age >= 55) * np.int16(4) + (age < 25) + (education == 0) * np.int16(3)
              - (education == 2) + (benefit == Benefit.LABOUR_MARKET_SUBSIDY) * np.int16(2))
    score_52 = halves.astype(np.int32) * 26 + 2 * np.minimum(weeks_since_work, 104)
    return ((score_52 >= 104).view(np.int8) + (score_52 >= 208).view(np.int8))

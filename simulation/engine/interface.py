"""What a mechanism may read and call on the model, and how a mechanism plugs into the week.

``Region`` is the model as the parts of the week see it: the scenario, the clock, the random
streams, the job-seeker table, the ledger, the metrics, the service catalogue, the firms and
the other mechanisms. ``RegionalLabourMarket`` satisfies it; nothing below the model imports
the model itself.

``Mechanism`` is an optional part of the region (a provider market, a growth programme, a
future intervention). It names the phases of the week it acts in (``phases``) and may answer
the hooks that the shared labour-market actions call (``simulation.engine.actions``): every
method has a neutral default, so a mechanism overrides only what it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import simpy

    from simulation.engine.clock import Clock
    from simulation.engine.coaches import Office
    from simulation.engine.firms import Firm, FirmTable
    from simulation.engine.ledger import Ledger
    from simulation.engine.meetings import ReferralMix
    from simulation.engine.metrics import WeeklyMetrics
    from simulation.engine.seekers import JobSeekers
    from simulation.engine.services import ServiceCatalogue
    from simulation.params.schema import Scenario, Service

M = TypeVar("M", bound="Mechanism")


class Region(Protocol):
    """The model as a mechanism sees it."""

    scenario: Scenario
    clock: Clock
    rng: np.random.Generator          # the main stream; people and firms have their own
    population_rng: np.random.Generator
    inflow_rng: np.random.Generator
    setup_rng: np.random.Generator
    firm_rng: np.random.Generator
    env: simpy.Environment
    seekers: JobSeekers
    ledger: Ledger
    metrics: WeeklyMetrics
    services: ServiceCatalogue
    office: Office
    firms: list[Firm]                 # the agents; their numbers are rows of firm_table
    firm_table: FirmTable
    firms_by_sector: list[list[Firm]]
    n_sectors: int
    tightness_0: np.ndarray
    follow_on: list[np.ndarray]       # completers to refer on once the week's episodes ended
    referral_mix: ReferralMix         # service weights by profile and group
    mechanisms: list[Mechanism]

    @property
    def week(self) -> int: ...

    def effective_search(self) -> np.ndarray: ...

    def mechanism(self, kind: type[M]) -> M | None: ...


class Mechanism:
    """An optional part of the region's week; see the module docstring."""

    def phases(self) -> dict[str, Callable[[], None]]:
        """The actions this mechanism adds to named phases of the week (``engine.week``)."""
        return {}

    # -- hooks of the shared labour-market actions ----------------------------------------

    def search_factor(self, index: np.ndarray) -> np.ndarray | None:
        """A factor on the effective search of the job seekers ``index`` in matching (None:
        no change)."""
        return None

    def count_searchers(self, unemployed: np.ndarray) -> None:
        """This week's searchers in open unemployment, as matching found them."""

    def hidden_fills(self, firms: np.ndarray, hires: np.ndarray) -> np.ndarray | None:
        """How many of each firm's hires in matching fill its hidden vacancies (None:
        advertised ones first). ``firms`` are firm numbers, each once, in firm order."""
        return None

    def filled(self, firms: np.ndarray, hires: np.ndarray, posted: np.ndarray,
               hidden: np.ndarray) -> None:
        """Firms filled ``posted`` advertised and ``hidden`` hidden vacancies each."""

    def service_completed(self, index: np.ndarray, service: Service) -> None:
        """A cohort completed an episode of ``service``."""

    def first_hire(self, solo: int) -> None:
        """Solo entrepreneur ``solo`` made its first hire this week."""

    # -- results --------------------------------------------------------------------------

    def weekly_row(self) -> dict[str, float]:
        """Columns this mechanism adds to the week's region row (read only)."""
        return {}

    def summary(self, weekly: pd.DataFrame) -> dict[str, float]:
        """End-of-run metrics this mechanism adds to the run's summary."""
        return {}

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables this mechanism adds to the run's result (by ``RunResult`` field)."""
        return {}

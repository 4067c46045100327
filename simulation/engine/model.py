"""RegionalLabourMarket: the Mesa model of one region, one step per week.

The idea in plain words: registered job seekers look for work with an effort that falls the
longer they are out of work and rises after a meeting with a coach or a completed service.
Firms post vacancies; each sector's hires follow a constant-returns Cobb–Douglas matching
function of effective searchers and vacancies. Coaches meet their clients and refer some to
services, which have limited places, waiting lists and durations (SimPy). Every euro of
benefits, services, subsidies, staff and tax revenue goes through the ledger. Optional
mechanisms (a provider market, a growth economy and its programme) plug into named phases of
the week.

The week (``simulation.engine.week``; mechanisms add their actions after the model's own):

1. **services**: service episodes advance to the end of the week (episodes end; waiting clients start); completers chosen for a follow-on service are referred
2. **registration**: new job seekers register; people who come to meet the target-group rule join it
3. **meetings**: coaches meet clients and refer some to services
4. **providers**: providers take on clients and firms and allocate their staff hours
5. **vacancies**: firms post vacancies; growth firms' needs, solo entrepreneurs' first-hire decisions and a growth programme's levers
6. **matching**: hiring through the matching function; first hires of solo entrepreneurs; the cross-border pool
7. **exits**: drop-outs, job losses, exits to studies and out of the labour force
8. **payments**: benefits, purchases, subsidies, staff and taxes into the ledger; providers' outcomes, fees, profit, exits and entries
9. **records**: jobs reaching 3, 6 and 12 months; who was a job seeker this calendar year; the weekly metrics
10. **clocks**: clocks advance; the week's counters start again
"""  # noqa: E501 - the list is checked against engine.week.describe()

from __future__ import annotations

from functools import partial
from typing import TypeVar

import mesa
import numpy as np
import simpy

from simulation.engine.actions import complete_services, reach_milestones
from simulation.engine.activation_model import build_activation_model
from simulation.engine.allocator import keep_freed_memory
from simulation.engine.clock import Clock
from simulation.engine.coaches import Office
from simulation.engine.firms import FirmTable, post_vacancies
from simulation.engine.garbage import collection_paused
from simulation.engine.growth import build_growth
from simulation.engine.growth.economy import RegionalEconomy
from simulation.engine.interface import Mechanism
from simulation.engine.ledger import Ledger
from simulation.engine.matching import build_firms, effective_search, match
from simulation.engine.meetings import ReferralMix, hold_meetings, refer_follow_on
from simulation.engine.metrics import WeeklyMetrics
from simulation.engine.payments import pay_week
from simulation.engine.population import (
    advance_clocks,
    build_population,
    drop_out,
    join_target_group,
    mark_calendar_year,
    register_inflows,
    separations_and_exits,
    start_initial_services,
    update_target_group,
)
from simulation.engine.providers import ProviderMarket, build_providers
from simulation.engine.registry import SeekerRegistry, disband
from simulation.engine.seekers import JobSeekers, age_group
from simulation.engine.services import ServiceCatalogue
from simulation.engine.week import plan
from simulation.params.schema import Scenario

M = TypeVar("M", bound=Mechanism)


class RegionalLabourMarket(SeekerRegistry):
    """A regional labour market under one scenario; ``step()`` advances one week."""

    # Mesa 3.5's Model has a ``scenario`` property of its own (an experiment's parameters,
    # mesa.experimental.scenarios) whose setter tells that object its model, which a frozen
    # pilotsim Scenario refuses. A plain class attribute here shadows the property, so the
    # model's ``scenario`` is an ordinary attribute, ours, on any Mesa (on 3.3: no change)
    scenario: Scenario | None = None

    def __init__(self, scenario: Scenario, rng: np.random.Generator | np.random.SeedSequence
                 | int | None = None) -> None:
        keep_freed_memory()  # once per process: a week's arrays reuse the last week's memory
        super().__init__(rng=rng)
        with collection_paused():
            self._build(scenario)

    def _build(self, scenario: Scenario) -> None:
        # Common random numbers: who lives in the region (initial stock, new registrants,
        # firms) comes from dedicated child streams, so a scenario and its baseline run with
        # the same seed share the same people; everything else draws from self.rng.
        (self.population_rng, self.inflow_rng, self.setup_rng,
         self.firm_rng) = self.rng.spawn(4)
        self.scenario = scenario
        self.clock = Clock()
        self.env = simpy.Environment(initial_time=0)
        self.follow_on: list[np.ndarray] = []
        n = scenario.region.job_seekers
        expected_inflow = scenario.flows.inflow_per_week * n * scenario.weeks
        self.seekers = JobSeekers(capacity=int(n + 1.2 * expected_inflow + 100))
        self.ledger = Ledger()
        self.metrics = WeeklyMetrics(self.seekers, self.clock, self.ledger, scenario.start_date)
        self.n_sectors = len(scenario.region.sectors)
        self.referral_mix = ReferralMix(scenario)
        self.mechanisms: list[Mechanism] = []
        build_population(self, n)
        self.services = ServiceCatalogue(scenario, self.env, self.seekers, self.clock,
                                         self.metrics, partial(complete_services, self))
        start_initial_services(self)
        join_target_group(self)
        self.office = Office(self, scenario, self.seekers)
        self.firm_table = FirmTable()
        build_firms(self)
        # the firm side first: providers may guide its solo entrepreneurs
        self.mechanisms += build_growth(self)
        self.mechanisms += build_providers(self)
        self.mechanisms += build_activation_model(self)  # national rules, in every region
        self.economy = self.mechanism(RegionalEconomy)  # None without [growth]
        self.providers = self.mechanism(ProviderMarket)  # None without procurement
        self.week_plan = plan(self._own_phases(), [m.phases() for m in self.mechanisms])

    def _own_phases(self) -> dict[str, list]:
        """The model's own actions in each phase of the week (``engine.week``)."""
        own = partial
        return {
            "services": [self._advance_services, own(refer_follow_on, self)],
            "registration": [own(register_inflows, self), own(update_target_group, self)],
            "meetings": [own(hold_meetings, self)],
            "vacancies": [self._post_vacancies],
            "matching": [own(match, self)],
            "exits": [own(drop_out, self), own(separations_and_exits, self)],
            "payments": [own(pay_week, self)],
            "records": [own(reach_milestones, self), own(mark_calendar_year, self),
                        self._record],
            "clocks": [own(advance_clocks, self), self.services.new_week],
        }

    # -- the week ----------------------------------------------------------------------

    @property
    def week(self) -> int:
        """Weeks since the start date (the model's clock)."""
        return self.clock.week

    def step(self) -> None:
        self.clock.week += 1
        for _phase, actions in self.week_plan:
            for action in actions:
                action()

    def _advance_services(self) -> None:
        self.services.advance(self.week)

    def _post_vacancies(self) -> None:
        post_vacancies(self.firm_table, self.scenario.labour_market, self.rng, self.week)

    def _record(self) -> None:
        extra: dict[str, float] = {}
        for mechanism in self.mechanisms:
            extra.update(mechanism.weekly_row())  # e.g. the firm side and regional economy
        self.metrics.record(self.services.week_counters(), self.services.names, extra)

    # -- what mechanisms may ask -------------------------------------------------------

    def effective_search(self) -> np.ndarray:
        """Each seeker's effective search intensity s_i (0 for those not searching)."""
        return effective_search(self)

    def mechanism(self, kind: type[M]) -> M | None:
        """The mechanism of this kind, if the scenario has one."""
        return next((m for m in self.mechanisms if isinstance(m, kind)), None)

    # -- running -----------------------------------------------------------------------

    def run(self, weeks: int | None = None) -> None:
        with collection_paused():
            for _ in range(self.scenario.weeks if weeks is None else weeks):
                self.step()

    def release(self) -> None:
        """Drop Mesa 3.3's class-level agent-id registry entry so the model can be freed, and
        its agents at once (``seekers.disband``): call it when the replication is done."""
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)
        disband(self)

    def age_groups(self) -> np.ndarray:
        return age_group(self.seekers.view("age"))

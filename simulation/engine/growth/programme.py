"""The growth-company programmes' levers, acting on the region's firm side
(``simulation.engine.growth.economy``).

Built when a scenario's ``[growth]`` section has a ``[growth.programme]``:

- **Coordinators** (Mesa agents) make ``visits_per_week`` visits each, to firms not visited
  within ``revisit_weeks``: growth firms and firms in priority sectors first. Besides
  surfacing and guidance, a visit refers ``candidates_per_vacancy`` register candidates per
  open vacancy (chosen by employability × match); each is hired with
  ``referral_hire_probability × match``.
- **Training / work placements** run as service episodes (SimPy, their own place pool, paid
  through the ledger); an extra drop-out hazard brings completion down to ``completion_rate``;
  a work placement converts to a job at a firm of its sector with ``conversion_rate``.
- **Start-up support.** Would-be entrepreneurs (unemployed, at least vocational education)
  get a voucher and choose a provider with probability ∝ exp(β × stars), stars from the
  providers' observed start rates; a start draws a start-up grant (enterprise episode); a firm
  surviving the grant period becomes a solo entrepreneur (a new firm).
- **Mass recruitment.** One large employer of the target sector screens job seekers each
  week; a screened person is suitable with ``suitability`` (times ``other_sector_suitability``
  without experience in the sector; never below ``min_education``); suitable people are hired
  until the week's share of ``hires_wanted`` is met.
- **Cross-border pool.** Mobile job seekers still unemployed after the home market's matching
  search a second pool ``V_x = vacancies_per_seeker × job seekers × D_t`` with
  ``M = A_x S_x (V_x/S_x / θ_0)^(1-α)``, at most ``V_x`` hires; those jobs are abroad.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.engine.actions import hire, leave_service
from simulation.engine.draws import choice_without_replacement, weighted_choice
from simulation.engine.firms import FIRM_KINDS, Firm
from simulation.engine.growth.economy import WEEKS_PER_YEAR, RegionalEconomy
from simulation.engine.interface import Mechanism
from simulation.engine.seekers import NO_ONE, State
from simulation.params.schema import SERVICE_NAMES, Service

if TYPE_CHECKING:
    from simulation.engine.interface import Region
    from simulation.params.growth import Coordinators, Training


class GrowthCoordinator(mesa.Agent):
    """A coordinator or growth agent: a limited number of firm visits a week."""

    def __init__(self, model: Region, programme: GrowthProgramme,
                 params: Coordinators) -> None:
        super().__init__(model)
        self.programme = programme
        self.visits_per_week = params.visits_per_week
        self.credit = 0.0
        self.visits = 0

    def step(self) -> None:
        self.credit += self.visits_per_week
        while self.credit >= 1.0:
            if not self.programme.visit_next():
                self.credit = min(self.credit, 1.0)  # nobody left to visit this week
                break
            self.credit -= 1.0
            self.visits += 1


def _first_by_key(key: np.ndarray, count: int) -> np.ndarray:
    """``np.argsort(key, kind="stable")[:count]`` without sorting all of ``key``: only those
    up to the count-th smallest value (ties included) are sorted."""
    if count >= len(key):
        return np.argsort(key, kind="stable")
    threshold = np.partition(key, count - 1)[count - 1]
    first = (key <= threshold).nonzero()[0]
    return first[np.argsort(key[first], kind="stable")][:count]


class GrowthProgramme(Mechanism):
    """A growth-company programme's levers: coordinators, training, start-up support, mass
    recruitment and the cross-border pool."""

    def __init__(self, region: Region, economy: RegionalEconomy) -> None:
        self.model = region
        self.economy = economy
        self.programme = economy.programme
        self.programme_rng = economy.programme_rng
        self.sector_of = economy.sector_of
        self.week_counts = economy.week_counts
        self.coordinators: list[GrowthCoordinator] = []
        self.pools: dict[int, tuple[str, Training | None]] = {}  # pool id -> kind, params
        self.training_pools: list[int] = []
        self.extra_dropout: dict[int, float] = {}
        self.provider_starts = np.zeros(0)
        self.provider_clients = np.zeros(0)
        self.anchor: Firm | None = None
        self.mass_hired = 0
        self.visit_queue: list[tuple[int, int]] = []
        self._free_by_sector: list[np.ndarray] | None = None  # while the visits are made
        self._build_programme()

    def phases(self) -> dict[str, Callable[[], None]]:
        return {"vacancies": self.step, "matching": self.after_match}


    # -- construction ------------------------------------------------------------------------

    def _build_programme(self) -> None:
        model, programme = self.model, self.programme
        if programme.coordinators is not None:
            self.coordinators = [GrowthCoordinator(model, self, programme.coordinators)
                                 for _ in range(programme.coordinators.count)]
        for training in programme.training:
            self._add_training_pool(training)
        if programme.start_up is not None:
            start = programme.start_up
            self.provider_starts = np.zeros(len(start.provider_start_shares))
            self.provider_clients = np.zeros(len(start.provider_start_shares))
            capacity = math.ceil(start.advised_per_week * max(start.provider_start_shares)
                                 * start.grant_weeks * 3) + 20
            service = Service(kind="enterprise", duration_weeks=start.grant_weeks,
                              payer_shares=[1.0, 0.0, 0.0], dropout_per_week=0.0,
                              post_effect=1.0, post_effect_weeks=0,
                              retention=start.survival_share)
            self.start_up_pool = self._add_pool("start_up_grant", service, capacity,
                                                start.payer_shares)
            self.pools[self.start_up_pool] = ("start_up", None)
        if programme.mass_recruitment is not None:
            sector = self.sector_of[programme.mass_recruitment.sector]
            self.anchor = self.economy.new_firm(sector, "anchor")


    def _add_pool(self, service_name: str, service: Service, capacity: int,
                  payer_shares: list[float]) -> int:
        catalogue = self.model.services
        sid = SERVICE_NAMES.index(service_name)
        return catalogue.add_pool(sid, service, max(1, capacity), True, tuple(payer_shares))


    def _add_training_pool(self, training: Training) -> None:
        name = "labour_market_training" if training.kind == "training" else "work_trial"
        concurrent = math.ceil(training.duration_weeks / training.intake_interval_weeks)
        capacity = training.places * max(1, min(concurrent, training.intakes))
        service = Service(kind="service", duration_weeks=training.duration_weeks,
                          cost_per_week_eur=training.cost_per_week_eur,
                          payer_shares=list(training.payer_shares), dropout_per_week=0.0,
                          post_effect=1.0, post_effect_weeks=0,
                          retention=training.conversion_rate)
        pool_id = self._add_pool(name, service, capacity, training.payer_shares)
        self.pools[pool_id] = ("training", training)
        self.training_pools.append(pool_id)
        # the engine's drop-out for this service id, topped up to the completion rate
        base = self.model.scenario.services.get(name)
        base_dropout = base.dropout_per_week if base is not None else 0.0
        keep_per_week = training.completion_rate ** (1.0 / training.duration_weeks)
        self.extra_dropout[pool_id] = max(0.0, 1.0 - keep_per_week / (1.0 - base_dropout))


    # -- the week ---------------------------------------------------------------------------

    def step(self) -> None:
        """The programme's levers, before the week's matching."""
        programme = self.programme
        if self.model.week < programme.start_week:
            return
        self._training_dropout()
        self._pay_programme_staff()
        if self.coordinators:
            self._plan_visits()
            # who is free, by sector, as the visits start: a visit's hires only take people
            # out of it, so each visit's candidates are those of it still free
            self._free_by_sector = self._free_people_by_sector()
            for coordinator in self.coordinators:
                coordinator.step()
            self._free_by_sector = None
        for pool_id in self.training_pools:
            self._training_intake(pool_id)
        if programme.start_up is not None:
            self._start_up_advice()
        if programme.mass_recruitment is not None:
            self._mass_recruitment()


    def after_match(self) -> None:
        """Cross-border matching for those still unemployed after the week's matching."""
        if self.programme.cross_border is not None and self.model.week >= \
                self.programme.start_week:
            self._cross_border()


    # -- coordinators -----------------------------------------------------------------------

    def _plan_visits(self) -> None:
        """This week's visiting order: growth firms and priority sectors first."""
        params = self.programme.coordinators
        week, model = self.model.week, self.model
        priority = {self.sector_of[n] for n in params.priority_sectors}
        firm_ok = (week - self.economy.last_visit >= params.revisit_weeks).nonzero()[0]
        solo_ok = ((week - self.economy.solo_last_visit >= params.revisit_weeks)
                   & ~self.economy.solo_hired).nonzero()[0]
        # a firm's number is its row of the firm table and its place in model.firms
        kind = model.firm_table.kind[firm_ok]
        firm_score = (np.where(kind == FIRM_KINDS.index("growth"), 2.0, 1.0)
                      * np.where(np.isin(model.firm_table.sector[firm_ok], list(priority)),
                                 2.0, 1.0))
        firm_score = np.where(kind == FIRM_KINDS.index("anchor"), 0.0, firm_score)
        solo_score = np.where(np.isin(self.economy.solo_sector[solo_ok], list(priority)), 2.0, 1.0)
        kind = np.concatenate([np.zeros(len(firm_ok), int), np.ones(len(solo_ok), int)])
        ids = np.concatenate([firm_ok, solo_ok]).astype(int)
        score = np.concatenate([firm_score, solo_score])
        keep = score > 0
        kind, ids, score = kind[keep], ids[keep], score[keep]
        # random order within a priority level (Gumbel keys on log scores)
        keys = np.log(score) + self.programme_rng.gumbel(size=len(score)) * 0.1
        wanted = int(sum(c.credit + c.visits_per_week for c in self.coordinators)) + 1
        order = _first_by_key(-keys, wanted)
        self.visit_queue = [(int(kind[i]), int(ids[i])) for i in order][::-1]


    def visit_next(self) -> bool:
        if not self.visit_queue:
            return False
        kind, number = self.visit_queue.pop()
        if kind == 1:
            self._visit_solo(number)
        else:
            self._visit_firm(self.model.firms[number])
        self.week_counts["firm_visits"] += 1
        return True


    def _visit_solo(self, j: int) -> None:
        params, week = self.programme.coordinators, self.model.week
        self.economy.solo_last_visit[j] = week
        self.economy.solo_guided_until[j] = week + params.contact_weeks
        if self.economy.solo_firm[j] >= 0:
            self._visit_firm(self.model.firms[self.economy.solo_firm[j]])


    def _visit_firm(self, firm: Firm) -> None:
        params, week = self.programme.coordinators, self.model.week
        self.economy.last_visit[firm.number] = week
        self.economy.contact_until[firm.number] = week + params.contact_weeks
        surfaced = int(self.programme_rng.binomial(firm.hidden, params.surfacing_share))
        firm.hidden -= surfaced
        firm.posted += surfaced
        self.week_counts["hidden_surfaced"] += surfaced
        if firm.growth == "growth":
            firm.capability += params.capability_gain * (1.0 - firm.capability)
        self._refer_candidates(firm, params)


    def _refer_candidates(self, firm: Firm, params: Coordinators) -> None:
        open_vacancies = firm.posted
        if open_vacancies <= 0 or params.candidates_per_vacancy <= 0:
            return
        s, rng = self.model.seekers, self.programme_rng
        pool = self._free_in(firm.sector)
        count = min(len(pool), params.max_candidates_per_visit,
                    int(rng.poisson(params.candidates_per_vacancy * open_vacancies)))
        if count == 0:
            return
        match = self.economy.search_factor(pool)
        weights = s.employability[pool] * match
        picked = choice_without_replacement(rng, weights / weights.sum(), count)
        chance = np.minimum(1.0, params.referral_hire_probability * match[picked])
        hired = pool[picked[rng.random(count) < chance]][:open_vacancies]
        self.week_counts["referred_candidates"] += count
        self.week_counts["referral_hires"] += len(hired)
        hire(self.model, hired, firm)


    def _free_people_by_sector(self) -> list[np.ndarray]:
        """Those free for a programme (``economy.available``), by sector, in index order."""
        free = self.economy.available()
        sector = self.model.seekers.sector[free]
        order = np.argsort(sector, kind="stable")
        ends = np.cumsum(np.bincount(sector, minlength=self.model.n_sectors))
        return np.split(free[order], ends[:-1])

    def _free_in(self, sector: int) -> np.ndarray:
        """Those free for a programme now in ``sector``, in index order (the same people as
        ``economy.available`` of the sector)."""
        if self._free_by_sector is None:
            return self.economy.available(self.model.seekers.view("sector") == sector)
        people = self._free_by_sector[sector]
        s = self.model.seekers
        still = (s.state[people] == State.UNEMPLOYED) & (s.waiting_service[people] == NO_ONE)
        return people[still]

    def _pay_programme_staff(self) -> None:
        params = self.programme.coordinators
        if params is None or params.count == 0:
            return
        self.model.ledger.pay_split(self.model.week, params.payer_shares, "staff",
                                    "growth_coordinators",
                                    params.count * params.cost_per_coordinator_year_eur
                                    / WEEKS_PER_YEAR)


    # -- training and work placements ---------------------------------------------------------

    def _training_intake(self, pool_id: int) -> None:
        training = self.pools[pool_id][1]
        week = self.model.week
        offset = week - training.first_intake_week
        if (offset < 0 or offset % training.intake_interval_weeks
                or offset // training.intake_interval_weeks >= training.intakes):
            return
        s, rng = self.model.seekers, self.programme_rng
        sector = self.sector_of[training.sector]
        eligible = s.view("education") >= training.min_education
        eligible &= self.economy.trained_sector[: s.n] != sector
        if not training.recruit_other_sectors:
            eligible &= s.view("sector") == sector
        pool = self.economy.available(eligible)
        if len(pool) == 0 or training.places == 0:
            return
        cohort = np.sort(rng.choice(pool, size=min(training.places, len(pool)), replace=False))
        self._start_episode(pool_id, cohort, training.duration_weeks)
        self.economy.trained_sector[cohort] = NO_ONE
        self.week_counts["training_starts"] += len(cohort)


    def _start_episode(self, pool_id: int, cohort: np.ndarray, weeks: int) -> None:
        self.model.services.start_episode(pool_id, cohort, weeks)


    def _training_dropout(self) -> None:
        if not self.extra_dropout:
            return
        s = self.model.seekers
        inside = (s.view("state") == State.IN_SERVICE).nonzero()[0]
        if len(inside) == 0:
            return
        pools = self.model.services.pool_of(inside)
        for pool_id, hazard in self.extra_dropout.items():
            members = inside[pools == pool_id]
            if hazard <= 0 or len(members) == 0:
                continue
            leave_service(self.model, members[self.programme_rng.random(len(members)) < hazard])


    def service_completed(self, index: np.ndarray, service: Service) -> None:
        """A cohort completed one of the programme's episodes (training, start-up grant)."""
        pool_id = next((p for p in self.pools if self.model.services.pools[p].service
                        is service), None)
        if pool_id is None or len(index) == 0:
            return
        kind, training = self.pools[pool_id]
        s, week = self.model.seekers, self.model.week
        kept = index[(s.state[index] == State.EMPLOYED) & (s.placement_week[index] == week)]
        if kind == "start_up":
            self.week_counts["new_firms"] += len(kept)
            self.economy.add_solos(s.sector[kept])
            return
        sector = self.sector_of[training.sector]
        s.sector[index] = sector
        self.economy.trained_sector[index] = sector
        self.economy.gain[index] = training.match_gain
        self.week_counts["training_completions"] += len(index)
        if len(kept):
            firms = [f for f in self.model.firms_by_sector[sector] if f.growth == "growth"] \
                or self.model.firms_by_sector[sector]
            if firms:
                picks = self.programme_rng.integers(0, len(firms), len(kept))
                for i, pick in zip(kept, picks, strict=True):
                    firm = firms[pick]
                    s.firm[i] = firm.number
                    firm.size += 1
                    firm.hires += 1
                    if firm.growth == "growth":
                        self.week_counts["growth_firm_hires"] += 1


    # -- start-ups, mass recruitment, cross-border -------------------------------------------

    def _start_up_advice(self) -> None:
        start, rng, s = self.programme.start_up, self.programme_rng, self.model.seekers
        pool = self.economy.available(s.view("education") >= 1)
        count = min(len(pool), int(rng.poisson(start.advised_per_week)))
        if count == 0:
            return
        advised = rng.choice(pool, size=count, replace=False)
        stars = self._stars()
        choice_p = np.exp(start.voucher_choice * (stars - stars.max()))
        provider = weighted_choice(rng, choice_p / choice_p.sum(), count)
        success = rng.random(count) < np.asarray(start.provider_start_shares)[provider]
        np.add.at(self.provider_clients, provider, 1)
        np.add.at(self.provider_starts, provider, success)
        self.model.ledger.pay_split(self.model.week, start.payer_shares, "providers",
                                    "start_up_advice", count * start.advice_cost_eur)
        starters = np.sort(advised[success])
        self.week_counts["start_up_advised"] += count
        self.week_counts["start_ups"] += len(starters)
        if len(starters):
            self._start_episode(self.start_up_pool, starters, start.grant_weeks)


    def _stars(self) -> np.ndarray:
        """One to five stars from each provider's start rate against the average (Beta prior)."""
        rate = (self.provider_starts + 1) / (self.provider_clients + 4)
        relative = rate / rate.mean()
        return np.clip(np.round(3 + (relative - 1) * 5), 1, 5)


    def _mass_recruitment(self) -> None:
        mass, rng, s, week = (self.programme.mass_recruitment, self.programme_rng,
                              self.model.seekers, self.model.week)
        if not mass.start_week <= week < mass.start_week + mass.weeks:
            return
        due = math.ceil(mass.hires_wanted * (week - mass.start_week + 1) / mass.weeks)
        wanted = max(0, due - self.mass_hired)
        pool = self.economy.available()
        count = min(len(pool), int(rng.poisson(mass.screened_per_week)))
        if count == 0:
            return
        screened = rng.choice(pool, size=count, replace=False)
        sector = self.sector_of[mass.sector]
        chance = mass.suitability * np.where(s.sector[screened] == sector, 1.0,
                                             mass.other_sector_suitability)
        chance = chance * (s.education[screened] >= mass.min_education)
        suitable = screened[rng.random(count) < chance][:wanted]
        self.model.ledger.pay_split(week, mass.payer_shares, "providers", "screening",
                                    count * mass.screening_cost_eur)
        self.week_counts["mass_screened"] += count
        self.week_counts["mass_hires"] += len(suitable)
        self.mass_hired += len(suitable)
        if len(suitable):
            self.anchor.posted += len(suitable)  # the employer's vacancies for these hires
            hire(self.model, np.sort(suitable), self.anchor)


    def _cross_border(self) -> None:
        cross, model = self.programme.cross_border, self.model
        s, market = model.seekers, model.scenario.labour_market
        intensity = model.effective_search() * self.economy.search_factor()
        candidates = self.economy.mobile & (s.view("state") == State.UNEMPLOYED) & (intensity > 0)
        if cross.sectors:
            candidates &= np.isin(s.view("sector"), [self.sector_of[n] for n in cross.sectors])
        searching = candidates.nonzero()[0]
        effective = float(intensity[searching].sum())
        vacancies = (cross.vacancies_per_seeker * model.scenario.region.job_seekers
                     * self.economy.demand())
        if effective <= 0 or vacancies <= 0:
            return
        tightness = vacancies / effective / self.economy.theta_0
        scale = (cross.efficiency * market.matching_efficiency
                 * tightness ** (1 - market.matching_elasticity))
        scale = min(scale, vacancies / effective)  # never more hires than vacancies
        chance = np.minimum(1.0, intensity[searching] * scale)
        hired = searching[self.programme_rng.random(len(searching)) < chance]
        self.week_counts["cross_border_hires"] += len(hired)
        hire(self.model, hired, None)
        self.economy.abroad[hired] = True

"""The firm side of a region and the growth-company programmes that work on it.

Built only when a scenario has a ``[growth]`` section (schema: ``simulation.params.growth``);
otherwise the model never touches this module and draws no random number for it.

The mechanism in words (one week; firm loops are over a few hundred agents, people on arrays):

- **Growth firms.** A share of the hiring firms (more of them in the growth sectors) has growth
  potential ``g_f`` (lognormal around ``growth_rate_per_year``). Its recruitment need is
  ``N_f ~ Poisson(size0_f × g_f / 52 × D_t^ε)`` with demand ``D_t = (1 + demand growth)^(t/52)``.
  The firm turns each need into a vacancy with its **recruitment capability** ``c_f`` (the
  rest is growth forgone); a coordinator's visit moves ``c_f`` a share of the way to 1.
- **Hidden vacancies.** A share ``growth_hidden_share`` of those vacancies (and
  ``labour_market.hidden_vacancy_share`` of every firm's ordinary ones) is never advertised.
  In matching a hidden vacancy counts ``hidden_network_efficiency`` of an advertised one, and
  the hires a firm gets are split between its advertised and hidden vacancies in the same
  proportion, so hidden ones are filled more slowly (and more are withdrawn unfilled).
  A coordinator **surfaces** a share of a visited firm's hidden vacancies, and during the
  contact weeks that follow every new vacancy of the firm is surfaced at once.
- **Solo entrepreneurs** (an array) decide to make a first hire with a weekly hazard
  ``1 - (1 - p)^(1/52)``, multiplied during first-hire support and after a coordinator's
  visit. A decision becomes a firm agent with one vacancy; its first hire is counted (and
  subsidised) when that vacancy is filled.
- **Skills match.** A job seeker's search counts in matching times a match factor:
  ``under_qualified_match`` below the sector's required education, times ``1 + match_gain``
  after completing a targeted training (or work placement) for that sector; participants from
  other sectors are re-skilled into it. Seekers search only in their own sector, so the gain
  raises matching in the target sector and nowhere else.
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
- **Regional economy.** Jobs are the model's people in work (open-market, subsidised or
  self-employed), exactly those whose pay is taxed in the ledger. Direct value added in a week
  is ``jobs in the region × value_added_per_job_year / 52``; total adds indirect effects
  (``× indirect_multiplier``). Unemployment expenditure is read from the ledger (benefits by
  payer plus active measures).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from simulation.engine.firms import Firm
from simulation.engine.payments import working
from simulation.engine.seekers import NO_ONE, State
from simulation.params.fields import PAYERS
from simulation.params.schema import SERVICE_NAMES, Service

if TYPE_CHECKING:
    from simulation.engine.model import RegionalLabourMarket
    from simulation.params.growth import Coordinators, Growth, Training

WEEKS_PER_YEAR = 52.0
BENEFIT_ITEMS = ("earnings_related_allowance", "basic_allowance", "labour_market_subsidy",
                 "service_increase")
TAX_ITEM = "tax_revenue"
WEEK_COUNTERS = ("hidden_surfaced", "fills_posted", "fills_hidden", "growth_firm_hires",
                 "growth_needs", "growth_vacancies", "first_hire_decisions", "first_hires",
                 "firm_visits", "referred_candidates", "referral_hires", "training_starts",
                 "training_completions", "start_up_advised", "start_ups", "new_firms",
                 "mass_screened", "mass_hires", "cross_border_hires")
SUMMED = WEEK_COUNTERS  # summary: totals over the run


class GrowthCoordinator(mesa.Agent):
    """A coordinator or growth agent: a limited number of firm visits a week."""

    def __init__(self, model: RegionalLabourMarket, economy: RegionalEconomy,
                 params: Coordinators) -> None:
        super().__init__(model)
        self.economy = economy
        self.visits_per_week = params.visits_per_week
        self.credit = 0.0
        self.visits = 0

    def step(self) -> None:
        self.credit += self.visits_per_week
        while self.credit >= 1.0:
            if not self.economy.visit_next():
                self.credit = min(self.credit, 1.0)  # nobody left to visit this week
                break
            self.credit -= 1.0
            self.visits += 1


class RegionalEconomy:
    """Growth firms, solo entrepreneurs, programme levers and the economy accounting."""

    def __init__(self, model: RegionalLabourMarket) -> None:
        self.model = model
        scenario = model.scenario
        self.params: Growth = scenario.growth
        # Own streams (CRN): the firm side draws from ``rng``, programme levers from
        # ``programme_rng``; both exist whenever [growth] does, so a growth pilot and its area
        # baseline share them.
        self.rng, self.programme_rng = model.rng.spawn(2)
        self.sector_of = {name: k for k, name in enumerate(scenario.region.sectors)}
        self.programme = self.params.programme
        n_sectors = model.n_sectors
        self._check_sectors()
        self.week_counts = dict.fromkeys(WEEK_COUNTERS, 0)
        self.sector_hires = np.zeros(n_sectors, dtype=np.int64)
        self.sector_searcher_weeks = np.zeros(n_sectors, dtype=np.int64)
        self._build_growth_firms()
        self.firm_size0 = np.array([f.size for f in model.firms], dtype=np.int64)
        self._build_solos()
        # people: match gain by training, the sector trained for, mobility, jobs abroad
        self.trained_sector = np.zeros(0, dtype=np.int8)
        self.gain = np.zeros(0, dtype=np.float32)
        self.mobile = np.zeros(0, dtype=bool)
        self.abroad = np.zeros(0, dtype=bool)
        self._sync_people()
        required = self.params.required_education
        if required is not None and len(required) != n_sectors:
            raise ValueError("growth.required_education needs one level per sector")
        edu = np.ones((3, n_sectors), dtype=np.float32)
        if required is not None:
            for k, level in enumerate(required):
                edu[:level, k] = self.params.under_qualified_match
        self.education_match = edu
        self.coordinators: list[GrowthCoordinator] = []
        self.pools: dict[int, tuple[str, Training | None]] = {}  # pool id -> kind, params
        self.training_pools: list[int] = []
        self.extra_dropout: dict[int, float] = {}
        self.provider_starts = np.zeros(0)
        self.provider_clients = np.zeros(0)
        self.anchor: Firm | None = None
        self.mass_hired = 0
        self.visit_queue: list[tuple[int, int]] = []
        if self.programme is not None:
            self._build_programme()
        intensity = model.effective_search()
        total = float(intensity.sum())
        self.theta_0 = (scenario.labour_market.vacancies_per_seeker
                        * scenario.region.job_seekers / total) if total > 0 else 1.0
        self.jobs_start = int(self.working().sum())

    # -- construction ------------------------------------------------------------------------

    def _check_sectors(self) -> None:
        named: list[tuple[str, str]] = [("growth.growth_sectors", n)
                                        for n in self.params.growth_sectors]
        programme = self.programme
        if programme is not None:
            if programme.coordinators is not None:
                named += [("growth.programme.coordinators.priority_sectors", n)
                          for n in programme.coordinators.priority_sectors]
            named += [("growth.programme.training.sector", t.sector) for t in programme.training]
            if programme.mass_recruitment is not None:
                named.append(("growth.programme.mass_recruitment.sector",
                              programme.mass_recruitment.sector))
            if programme.cross_border is not None:
                named += [("growth.programme.cross_border.sectors", n)
                          for n in programme.cross_border.sectors]
        for where, name in named:
            if name not in self.sector_of:
                raise ValueError(f"{where}: unknown sector {name!r}; the region's sectors are "
                                 f"{', '.join(self.sector_of)}")

    def _build_growth_firms(self) -> None:
        firms, p = self.model.firms, self.params
        growth_sectors = [self.sector_of[n] for n in p.growth_sectors]
        weights = np.array([p.growth_sector_weight if f.sector in growth_sectors else 1.0
                            for f in firms])
        count = min(len(firms), int(round(p.growth_firm_share * len(firms))))
        chosen = (self.rng.choice(len(firms), size=count, replace=False,
                                  p=weights / weights.sum()) if count else np.zeros(0, int))
        self.growth_firms = [firms[i] for i in sorted(chosen)]
        sigma = p.growth_rate_sigma
        rates = p.growth_rate_per_year * self.rng.lognormal(-sigma**2 / 2, sigma, len(chosen))
        kappa = 4.0  # capability ~ Beta with mean recruitment_capability
        mean = min(max(p.recruitment_capability, 1e-6), 1 - 1e-6)
        capability = self.rng.beta(mean * kappa, (1 - mean) * kappa, len(chosen))
        for firm, rate, cap in zip(self.growth_firms, rates, capability, strict=True):
            firm.growth = "growth"
            firm.need_rate = firm.size * float(rate) / WEEKS_PER_YEAR
            firm.capability = float(cap)
        n = len(firms)
        self.contact_until = np.full(n, -1, dtype=np.int64)
        self.last_visit = np.full(n, -10_000, dtype=np.int64)

    def _build_solos(self) -> None:
        p, scenario = self.params, self.model.scenario
        n = p.solo_entrepreneurs
        self.solo_sector = self.rng.choice(self.model.n_sectors, size=n,
                                           p=scenario.region.sector_shares).astype(np.int64)
        self.solo_firm = np.full(n, NO_ONE, dtype=np.int64)      # firm agent once deciding
        self.solo_hired = np.zeros(n, dtype=bool)                 # made its first hire
        self.solo_guided_until = np.full(n, -1, dtype=np.int64)
        self.solo_provider_until = np.full(n, -1, dtype=np.int64)  # guided by a provider
        self.solo_last_visit = np.full(n, -10_000, dtype=np.int64)
        self.solo_new = np.zeros(n, dtype=bool)                   # founded during the run

    def _add_solos(self, sectors: np.ndarray) -> None:
        m = len(sectors)
        self.solo_sector = np.concatenate([self.solo_sector, sectors.astype(np.int64)])
        self.solo_firm = np.concatenate([self.solo_firm, np.full(m, NO_ONE, dtype=np.int64)])
        self.solo_hired = np.concatenate([self.solo_hired, np.zeros(m, dtype=bool)])
        self.solo_guided_until = np.concatenate([self.solo_guided_until,
                                                 np.full(m, -1, dtype=np.int64)])
        self.solo_provider_until = np.concatenate([self.solo_provider_until,
                                                   np.full(m, -1, dtype=np.int64)])
        self.solo_last_visit = np.concatenate([self.solo_last_visit,
                                               np.full(m, -10_000, dtype=np.int64)])
        self.solo_new = np.concatenate([self.solo_new, np.ones(m, dtype=bool)])

    def _new_firm(self, sector: int, growth: str) -> Firm:
        model = self.model
        firm = Firm(model, len(model.firms), sector, 1, 0.0, growth)
        model.firms.append(firm)
        model.firms_by_sector[sector].append(firm)
        self.contact_until = np.append(self.contact_until, -1)
        self.last_visit = np.append(self.last_visit, -10_000)
        self.firm_size0 = np.append(self.firm_size0, 0 if growth == "anchor" else 1)
        return firm

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
            self.anchor = self._new_firm(sector, "anchor")

    def _add_pool(self, service_name: str, service: Service, capacity: int,
                  payer_shares: list[float]) -> int:
        catalogue = self.model.services
        sid = SERVICE_NAMES.index(service_name)
        pool_id = catalogue._add_pool(sid, service, max(1, capacity), True, tuple(payer_shares))
        catalogue.waiting_count = np.append(catalogue.waiting_count, 0)
        return pool_id

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

    # -- people arrays ---------------------------------------------------------------------

    def _sync_people(self) -> None:
        n, have = self.model.seekers.n, len(self.gain)
        if n == have:
            return
        extra = n - have
        self.trained_sector = np.concatenate([self.trained_sector,
                                              np.full(extra, NO_ONE, dtype=np.int8)])
        self.gain = np.concatenate([self.gain, np.zeros(extra, dtype=np.float32)])
        cross = self.programme.cross_border if self.programme is not None else None
        mobile = (self.programme_rng.random(extra) < cross.mobile_share if cross is not None
                  else np.zeros(extra, dtype=bool))
        self.mobile = np.concatenate([self.mobile, mobile])
        self.abroad = np.concatenate([self.abroad, np.zeros(extra, dtype=bool)])

    def match_factor(self) -> np.ndarray:
        """Each seeker's skill match with the vacancies of their sector (multiplies search)."""
        self._sync_people()
        s = self.model.seekers
        sector = s.view("sector").astype(np.int64)
        factor = self.education_match[s.view("education"), sector]
        trained = self.trained_sector == sector
        return factor * np.where(trained, 1.0 + self.gain, 1.0)

    def count_searchers(self, searching: np.ndarray) -> None:
        s = self.model.seekers
        unemployed = searching[s.state[searching] == State.UNEMPLOYED]
        self.sector_searcher_weeks += np.bincount(s.sector[unemployed],
                                                  minlength=self.model.n_sectors)

    def working(self) -> np.ndarray:
        """Who works this week, exactly as the ledger taxes pay (open market, subsidised job)."""
        return working(self.model)

    # -- the week ---------------------------------------------------------------------------

    def demand(self) -> float:
        growth = self.model.scenario.labour_market.demand_growth_per_year
        return (1.0 + growth) ** (self.model.week / WEEKS_PER_YEAR)

    def step(self) -> None:
        """Firm-side needs and programme levers, before the week's matching."""
        self._sync_people()
        s = self.model.seekers
        self.abroad &= s.view("state") == State.EMPLOYED
        self._growth_needs()
        self._surface_for_contacts()
        self._solo_decisions()
        programme = self.programme
        if programme is None or self.model.week < programme.start_week:
            return
        self._training_dropout()
        self._pay_programme_staff()
        if self.coordinators:
            self._plan_visits()
            for coordinator in self.coordinators:
                coordinator.step()
        for pool_id in self.training_pools:
            self._training_intake(pool_id)
        if programme.start_up is not None:
            self._start_up_advice()
        if programme.mass_recruitment is not None:
            self._mass_recruitment()

    def after_match(self) -> None:
        """First hires of the week, then cross-border matching for those still unemployed."""
        self._detect_first_hires()
        programme = self.programme
        if (programme is not None and programme.cross_border is not None
                and self.model.week >= programme.start_week):
            self._cross_border()

    def _growth_needs(self) -> None:
        if not self.growth_firms:
            return
        p = self.params
        scale = self.demand() ** p.demand_elasticity
        rates = np.array([f.need_rate for f in self.growth_firms]) * scale
        needs = self.rng.poisson(rates)
        capability = np.array([f.capability for f in self.growth_firms])
        vacancies = self.rng.binomial(needs, capability)
        hidden = self.rng.binomial(vacancies, p.growth_hidden_share)
        self.week_counts["growth_needs"] += int(needs.sum())
        self.week_counts["growth_vacancies"] += int(vacancies.sum())
        for firm, v, h in zip(self.growth_firms, vacancies, hidden, strict=True):
            firm.posted += int(v - h)
            firm.hidden += int(h)

    def _surface_for_contacts(self) -> None:
        week = self.model.week
        for number in np.flatnonzero(self.contact_until >= week):
            firm = self.model.firms[number]
            if firm.hidden:
                self.week_counts["hidden_surfaced"] += firm.hidden
                firm.posted += firm.hidden
                firm.hidden = 0

    def _solo_decisions(self) -> None:
        n = len(self.solo_sector)
        if n == 0:
            return
        p, week = self.params, self.model.week
        weekly = 1.0 - (1.0 - p.first_hire_hazard_per_year) ** (1.0 / WEEKS_PER_YEAR)
        hazard = np.full(n, weekly)
        programme = self.programme
        if programme is not None and week >= programme.start_week:
            if programme.first_hire_support is not None:
                hazard *= programme.first_hire_support.hazard_multiplier
            if programme.coordinators is not None:
                hazard *= np.where(self.solo_guided_until >= week,
                                   programme.coordinators.first_hire_multiplier, 1.0)
        market = self.model.providers
        if market is not None and market.firm_work:  # a provider's guidance of its firms
            hazard *= np.where(self.solo_provider_until >= week,
                               market.p.firm_hire_multiplier, 1.0)
        # only those without a first hire and without an open vacancy decide
        open_vacancy = np.zeros(n, dtype=bool)
        for j in np.flatnonzero(self.solo_firm >= 0):
            firm = self.model.firms[self.solo_firm[j]]
            open_vacancy[j] = (firm.posted + firm.hidden) > 0
        deciding = ~self.solo_hired & ~open_vacancy
        decides = np.flatnonzero(deciding & (self.rng.random(n) < np.minimum(1.0, hazard)))
        hidden = self.rng.random(len(decides)) < p.growth_hidden_share
        for j, is_hidden in zip(decides, hidden, strict=True):
            if self.solo_firm[j] < 0:
                self.solo_firm[j] = self._new_firm(int(self.solo_sector[j]), "solo").number
            firm = self.model.firms[self.solo_firm[j]]
            if is_hidden and self.contact_until[firm.number] < week:
                firm.hidden += 1
            else:
                firm.posted += 1
        self.week_counts["first_hire_decisions"] += len(decides)

    def _detect_first_hires(self) -> None:
        """Solo entrepreneurs whose firm hired this week (in the match or a programme's direct
        hire) made their first hire: recorded the same week, before the providers' accounts."""
        for j in np.flatnonzero((self.solo_firm >= 0) & ~self.solo_hired):
            if self.model.firms[self.solo_firm[j]].hires:
                self._first_hire(j)

    def _first_hire(self, j: int) -> None:
        self.solo_hired[j] = True
        self.week_counts["first_hires"] += 1
        if self.model.providers is not None:
            self.model.providers.firm_hired(j)
        support = self.programme.first_hire_support if self.programme is not None else None
        if support is not None and support.subsidy_per_first_hire_eur > 0:
            self.model.ledger.pay_split(self.model.week, support.payer_shares, "firms",
                                        "first_hire_subsidy",
                                        support.subsidy_per_first_hire_eur)

    # -- hires -----------------------------------------------------------------------------

    def fill(self, firm: Firm, hires: int) -> None:
        """Split a firm's hires between advertised and hidden vacancies by their weight."""
        efficiency = self.model.scenario.labour_market.hidden_network_efficiency
        weight_hidden = efficiency * firm.hidden
        total = firm.posted + weight_hidden
        share = weight_hidden / total if total > 0 else 0.0
        from_hidden = int(self.rng.binomial(hires, share)) if share > 0 else 0
        self._record_fill(firm, hires, *firm.fill(hires, from_hidden=from_hidden))

    def _record_fill(self, firm: Firm, hires: int, posted: int, hidden: int) -> None:
        self.week_counts["fills_posted"] += posted
        self.week_counts["fills_hidden"] += hidden
        self.sector_hires[firm.sector] += hires
        if firm.growth == "growth":
            self.week_counts["growth_firm_hires"] += hires

    def _hire(self, index: np.ndarray, firm: Firm | None) -> None:
        """Direct hires (a coordinator's referral, mass recruitment, abroad)."""
        if len(index) == 0:
            return
        model, s = self.model, self.model.seekers
        in_service = index[s.state[index] == State.IN_SERVICE]
        model.services.release(in_service)
        waiting = index[s.waiting_service[index] != NO_ONE]
        model.services.leave_waiting_list(waiting)
        model.metrics.count_exits_to_work(index[s.state[index] == State.UNEMPLOYED])
        if firm is not None:
            s.firm[index] = firm.number
            self._record_fill(firm, len(index), *firm.fill(len(index)))
        model.place(index)

    def _available(self, extra: np.ndarray | None = None) -> np.ndarray:
        """Unemployed job seekers free for a programme (not queued for a service)."""
        s = self.model.seekers
        free = (s.view("state") == State.UNEMPLOYED) & (s.view("waiting_service") == NO_ONE)
        if extra is not None:
            free &= extra
        return np.flatnonzero(free)

    # -- coordinators -----------------------------------------------------------------------

    def _plan_visits(self) -> None:
        """This week's visiting order: growth firms and priority sectors first."""
        params = self.programme.coordinators
        week, model = self.model.week, self.model
        priority = {self.sector_of[n] for n in params.priority_sectors}
        firm_ok = np.flatnonzero(week - self.last_visit >= params.revisit_weeks)
        solo_ok = np.flatnonzero((week - self.solo_last_visit >= params.revisit_weeks)
                                 & ~self.solo_hired)
        firm_score = np.array([(2.0 if model.firms[i].growth == "growth" else 1.0)
                               * (2.0 if model.firms[i].sector in priority else 1.0)
                               for i in firm_ok])
        firm_score = np.where([model.firms[i].growth == "anchor" for i in firm_ok], 0.0,
                              firm_score) if len(firm_ok) else firm_score
        solo_score = np.where(np.isin(self.solo_sector[solo_ok], list(priority)), 2.0, 1.0)
        kind = np.concatenate([np.zeros(len(firm_ok), int), np.ones(len(solo_ok), int)])
        ids = np.concatenate([firm_ok, solo_ok]).astype(int)
        score = np.concatenate([firm_score, solo_score])
        keep = score > 0
        kind, ids, score = kind[keep], ids[keep], score[keep]
        # random order within a priority level (Gumbel keys on log scores)
        keys = np.log(score) + self.programme_rng.gumbel(size=len(score)) * 0.1
        wanted = int(sum(c.credit + c.visits_per_week for c in self.coordinators)) + 1
        order = np.argsort(-keys, kind="stable")[:wanted]
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
        self.solo_last_visit[j] = week
        self.solo_guided_until[j] = week + params.contact_weeks
        if self.solo_firm[j] >= 0:
            self._visit_firm(self.model.firms[self.solo_firm[j]])

    def _visit_firm(self, firm: Firm) -> None:
        params, week = self.programme.coordinators, self.model.week
        self.last_visit[firm.number] = week
        self.contact_until[firm.number] = week + params.contact_weeks
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
        pool = self._available(s.view("sector") == firm.sector)
        count = min(len(pool), params.max_candidates_per_visit,
                    int(rng.poisson(params.candidates_per_vacancy * open_vacancies)))
        if count == 0:
            return
        match = self.match_factor()[pool]
        weights = s.employability[pool] * match
        picked = rng.choice(len(pool), size=count, replace=False, p=weights / weights.sum())
        chance = np.minimum(1.0, params.referral_hire_probability * match[picked])
        hired = pool[picked[rng.random(count) < chance]][:open_vacancies]
        self.week_counts["referred_candidates"] += count
        self.week_counts["referral_hires"] += len(hired)
        self._hire(hired, firm)

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
        eligible &= self.trained_sector[: s.n] != sector
        if not training.recruit_other_sectors:
            eligible &= s.view("sector") == sector
        pool = self._available(eligible)
        if len(pool) == 0 or training.places == 0:
            return
        cohort = np.sort(rng.choice(pool, size=min(training.places, len(pool)), replace=False))
        self._start_episode(pool_id, cohort, training.duration_weeks)
        self.trained_sector[cohort] = NO_ONE
        self.week_counts["training_starts"] += len(cohort)

    def _start_episode(self, pool_id: int, cohort: np.ndarray, weeks: int) -> None:
        catalogue = self.model.services
        pool = catalogue.pools[pool_id]
        self.model.metrics.count_exits_to_services(cohort)
        catalogue.begin(cohort, pool)
        episode = catalogue._new_episode(pool_id)
        self.model.seekers.episode[cohort] = episode
        self.model.env.process(catalogue._episode(pool_id, episode, cohort, waiting=False,
                                                  duration=weeks))

    def _training_dropout(self) -> None:
        if not self.extra_dropout:
            return
        s = self.model.seekers
        inside = np.flatnonzero(s.view("state") == State.IN_SERVICE)
        if len(inside) == 0:
            return
        pools = self.model.services.pool_of(inside)
        for pool_id, hazard in self.extra_dropout.items():
            members = inside[pools == pool_id]
            if hazard <= 0 or len(members) == 0:
                continue
            leaving = members[self.programme_rng.random(len(members)) < hazard]
            self.model.services.release(leaving)
            s.state[leaving] = State.UNEMPLOYED
            s.spell_weeks[leaving] = 0
            self.model.metrics.count_flow("dropouts", leaving)

    def completed(self, index: np.ndarray, service: Service) -> None:
        """Hook from the model: a cohort completed one of the programme's episodes."""
        pool_id = next((p for p in self.pools if self.model.services.pools[p].service
                        is service), None)
        if pool_id is None or len(index) == 0:
            return
        kind, training = self.pools[pool_id]
        s, week = self.model.seekers, self.model.week
        kept = index[(s.state[index] == State.EMPLOYED) & (s.placement_week[index] == week)]
        if kind == "start_up":
            self.week_counts["new_firms"] += len(kept)
            self._add_solos(s.sector[kept])
            return
        sector = self.sector_of[training.sector]
        s.sector[index] = sector
        self.trained_sector[index] = sector
        self.gain[index] = training.match_gain
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
        pool = self._available(s.view("education") >= 1)
        count = min(len(pool), int(rng.poisson(start.advised_per_week)))
        if count == 0:
            return
        advised = rng.choice(pool, size=count, replace=False)
        stars = self._stars()
        choice_p = np.exp(start.voucher_choice * (stars - stars.max()))
        provider = rng.choice(len(stars), size=count, p=choice_p / choice_p.sum())
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
        pool = self._available()
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
            self._hire(np.sort(suitable), self.anchor)

    def _cross_border(self) -> None:
        cross, model = self.programme.cross_border, self.model
        s, market = model.seekers, model.scenario.labour_market
        intensity = model.effective_search() * self.match_factor()
        candidates = self.mobile & (s.view("state") == State.UNEMPLOYED) & (intensity > 0)
        if cross.sectors:
            candidates &= np.isin(s.view("sector"), [self.sector_of[n] for n in cross.sectors])
        searching = np.flatnonzero(candidates)
        effective = float(intensity[searching].sum())
        vacancies = (cross.vacancies_per_seeker * model.scenario.region.job_seekers
                     * self.demand())
        if effective <= 0 or vacancies <= 0:
            return
        tightness = vacancies / effective / self.theta_0
        scale = (cross.efficiency * market.matching_efficiency
                 * tightness ** (1 - market.matching_elasticity))
        scale = min(scale, vacancies / effective)  # never more hires than vacancies
        chance = np.minimum(1.0, intensity[searching] * scale)
        hired = searching[self.programme_rng.random(len(searching)) < chance]
        self.week_counts["cross_border_hires"] += len(hired)
        self._hire(hired, None)
        self.abroad[hired] = True

    # -- accounting ---------------------------------------------------------------------------

    def firms_served(self) -> int:
        """Firms the programme has reached so far: visited by its coordinators, or a solo
        entrepreneur visited or guided by a provider (counted once, with or without a firm
        agent yet)."""
        reached = self.last_visit > -10_000
        solo = (self.solo_last_visit > -10_000) | (self.solo_provider_until >= 0)
        own_firm = self.solo_firm >= 0
        reached[self.solo_firm[solo & own_firm]] = True
        return int(reached.sum() + (solo & ~own_firm).sum())

    def weekly_row(self) -> dict[str, float]:
        """The week's firm-side and economy columns (region scope), then reset the counters."""
        firms = self.model.firms
        working = self.working()
        jobs = int(working.sum())
        abroad = int((working & self.abroad[: len(working)]).sum())
        p = self.params
        row: dict[str, float] = dict(self.week_counts)
        row["vacancies_posted"] = sum(f.posted for f in firms)
        row["vacancies_hidden"] = sum(f.hidden for f in firms)
        row["growth_firm_jobs"] = sum(f.size for f in self.growth_firms)
        row["firms_served"] = self.firms_served()
        row["jobs"] = jobs
        row["jobs_abroad"] = abroad
        row["value_added_direct_eur"] = (jobs - abroad) * p.value_added_per_job_year_eur \
            / WEEKS_PER_YEAR
        row["value_added_total_eur"] = row["value_added_direct_eur"] * p.indirect_multiplier
        self.week_counts = dict.fromkeys(WEEK_COUNTERS, 0)
        return row


def growth_summary(model: RegionalLabourMarket, weekly: pd.DataFrame) -> dict[str, float]:
    """Run totals and final-year levels of the firm side and the regional economy."""
    economy = getattr(model, "economy", None)
    if economy is None:
        return {}
    rows = weekly[weekly["scope"] == "region"].sort_values("week")
    out: dict[str, float] = {}
    for name in SUMMED:
        out[name] = float(rows[name].sum())
    final = rows[rows["week"] > rows["week"].max() - WEEKS_PER_YEAR]
    per_year = WEEKS_PER_YEAR / len(final)
    jobs_final = float(final["jobs"].mean())
    out["jobs_start"] = float(economy.jobs_start)
    out["jobs_final_year"] = jobs_final
    out["jobs_created"] = jobs_final - economy.jobs_start
    out["jobs_abroad_final_year"] = float(final["jobs_abroad"].mean())
    out["regional_value_added_eur_per_year"] = float(final["value_added_direct_eur"].sum()
                                                     * per_year)
    out["regional_value_added_total_eur_per_year"] = float(
        final["value_added_total_eur"].sum() * per_year)
    for kind in ("posted", "hidden"):
        fills = float(rows[f"fills_{kind}"].sum())
        out[f"time_to_fill_{kind}_weeks"] = (float(rows[f"vacancies_{kind}"].sum()) / fills
                                             if fills else float("nan"))
    out["vacancies_posted_mean"] = float(rows["vacancies_posted"].mean())
    out["vacancies_hidden_mean"] = float(rows["vacancies_hidden"].mean())
    start = float(sum(economy.firm_size0[f.number] for f in economy.growth_firms))
    end = float(sum(f.size for f in economy.growth_firms))
    # jobs in growth firms held by the model's people (the firms' other staff are not modelled)
    out["growth_firm_net_jobs"] = end - start
    out["firm_net_jobs"] = float(sum(f.size for f in model.firms) - economy.firm_size0.sum())
    # money: the final year's ledger rows
    ledger = model.ledger.to_frame()
    last = ledger[ledger["week"] > model.week - WEEKS_PER_YEAR]
    years = len(final) / WEEKS_PER_YEAR
    benefits = last[last["item"].isin(BENEFIT_ITEMS)]
    for payer in PAYERS:
        out[f"unemployment_benefits_{payer}_eur_per_year"] = float(
            benefits.loc[benefits["payer"] == payer, "amount_eur"].sum() / years)
    out["unemployment_benefits_eur_per_year"] = float(benefits["amount_eur"].sum() / years)
    spending = last[last["item"] != TAX_ITEM]
    out["unemployment_expenditure_eur_per_year"] = float(spending["amount_eur"].sum() / years)
    out["tax_revenue_eur_per_year"] = float(
        -last.loc[last["item"] == TAX_ITEM, "amount_eur"].sum() / years)
    out["net_public_cost_eur_per_year"] = float(last["amount_eur"].sum() / years)
    return out

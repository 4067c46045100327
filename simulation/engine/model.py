"""RegionalLabourMarket: the Mesa model of one region, one step per week.

The idea in plain words: registered job seekers look for work with an effort
that falls the longer they are out of work and rises after a meeting with a
coach or a completed service. Firms post vacancies; each sector's hires follow
a constant-returns Cobb–Douglas matching function of effective searchers and
vacancies. Coaches meet their clients and refer some to services, which have
limited places, waiting lists and durations (SimPy). Every euro of benefits,
services, subsidies, staff and tax revenue goes through the ledger.

Weekly step order:
    1. advance the service processes to this week (episodes end and start)
    2. new registrations; target-group membership
    3. coaches meet clients and refer them to services
    4. firms post vacancies; hiring through the matching function
    5. drop-outs, job losses, exits to studies and out of the labour force
    6. benefits, purchases, subsidies, staff and taxes into the ledger
    7. weekly metrics; clocks advance
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import simpy

from simulation.engine.coaches import Coach, allocate_meetings
from simulation.engine.firms import Firm, draw_firm_sizes, post_vacancies
from simulation.engine.growth import RegionalEconomy
from simulation.engine.ledger import Ledger
from simulation.engine.metrics import LONG_TERM_WEEKS, WeeklyMetrics
from simulation.engine.payments import pay_week
from simulation.engine.providers import build_providers
from simulation.engine.seekers import (
    NO_ONE,
    Benefit,
    JobSeeker,
    JobSeekers,
    State,
    age_group,
    base_employability,
    draw_ages,
    draw_spell_weeks,
    in_states,
    risk_class,
    risk_score,
    survivor_weights,
)
from simulation.engine.services import ServiceCatalogue
from simulation.engine.targeting import in_target_group
from simulation.params.schema import PROFILES, SERVICE_NAMES, WEEKS_PER_MONTH, Scenario, Service

ACTIVE = (State.UNEMPLOYED, State.IN_SERVICE, State.SUBSIDISED)


class RegionalLabourMarket(mesa.Model):
    """A regional labour market under one scenario; ``step()`` advances one week."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator | np.random.SeedSequence
                 | int | None = None) -> None:
        super().__init__(rng=rng)
        # Common random numbers: who lives in the region (initial stock, new
        # registrants, firms) comes from dedicated child streams, so a scenario
        # and its baseline run with the same seed share the same people;
        # everything else draws from self.rng.
        (self.population_rng, self.inflow_rng, self.setup_rng,
         self.firm_rng) = self.rng.spawn(4)
        self.scenario = scenario
        self.week = 0  # the model's clock: weeks since the start date
        self.env = simpy.Environment(initial_time=0)
        self._follow_on: list[np.ndarray] = []  # completers to refer on this week
        n = scenario.region.job_seekers
        expected_inflow = scenario.flows.inflow_per_week * n * scenario.weeks
        self.seekers = JobSeekers(capacity=int(n + 1.2 * expected_inflow + 100))
        self.ledger = Ledger()
        self.metrics = WeeklyMetrics(self)
        self.n_sectors = len(scenario.region.sectors)
        self._build_population(n)
        self.services = ServiceCatalogue(self)
        self._start_initial_services()
        self._update_target_group()
        self._build_coaches()
        self._build_firms()
        # the firm side of growth-company pilots; None (and no draws) without [growth]
        self.economy = RegionalEconomy(self) if scenario.growth is not None else None
        self.providers = build_providers(self)  # None unless the scenario procures services
        procurement = scenario.interventions.procurement
        self._provider_guides = procurement is not None \
            and procurement.office_meetings == "replaced"

    # -- construction ------------------------------------------------------------

    def _new_seekers(self, count: int, benefit_shares: list[float],
                     rng: np.random.Generator) -> np.ndarray:
        """Register ``count`` new job seekers with drawn characteristics."""
        scenario, s = self.scenario, self.seekers
        index = s.add(count)
        s.age[index] = draw_ages(rng, count, scenario.population.age_shares)
        s.education[index] = rng.choice(3, size=count, p=scenario.population.education_shares)
        s.benefit[index] = rng.choice(4, size=count, p=benefit_shares)
        s.employability[index] = base_employability(scenario, s.age[index],
                                                    s.education[index], rng)
        s.municipality[index] = rng.choice(len(scenario.region.municipality_shares), size=count,
                                           p=scenario.region.municipality_shares)
        s.sector[index] = rng.choice(self.n_sectors, size=count,
                                     p=scenario.region.sector_shares)
        s.registered_week[index] = self.week
        for i in index:
            JobSeeker(self, int(i))
        return index

    def _build_population(self, n: int) -> None:
        scenario, rng, s = self.scenario, self.population_rng, self.seekers
        index = self._new_seekers(n, scenario.population.benefit_shares, rng)
        spell = draw_spell_weeks(rng, n, scenario.population.spell_band_shares)
        # Dynamic selection: who is still unemployed after a long spell is, on
        # average, less employable. Resample employability by survival weight.
        weights = survivor_weights(scenario, s.employability[index], spell)
        order = np.argsort(spell, kind="stable")
        for chunk in np.array_split(order, 20):
            if len(chunk) == 0:
                continue
            w = weights[chunk] / weights[chunk].sum()
            pick = rng.choice(chunk, size=len(chunk), p=w)
            s.employability[index[chunk]] = s.employability[index[pick]]
            s.age[index[chunk]] = s.age[index[pick]]
            s.education[index[chunk]] = s.education[index[pick]]
        s.spell_weeks[index] = spell
        s.weeks_since_work[index] = (spell * rng.uniform(1.0, 1.3, n)).astype(np.int32)
        benefit = s.benefit[index]
        paid_days = spell * scenario.benefits.days_per_week
        exhausted = (benefit == Benefit.EARNINGS_RELATED) & (
            paid_days >= scenario.benefits.earnings_related_max_days)
        benefit[exhausted] = Benefit.LABOUR_MARKET_SUBSIDY
        s.benefit[index] = benefit
        s.benefit_days[index] = np.where(benefit == Benefit.EARNINGS_RELATED, paid_days, 0)
        lms = benefit == Benefit.LABOUR_MARKET_SUBSIDY
        s.lms_days[index] = np.where(
            lms, (s.weeks_since_work[index] * scenario.benefits.days_per_week
                  * rng.uniform(0.6, 1.2, n)), 0).astype(np.int32)
        # Initial meetings are spread over the interval, not all due at once.
        s.last_meeting[index] = -rng.integers(0, scenario.public_office.meeting_interval_weeks, n)

    def _start_initial_services(self) -> None:
        """Fill services so that the initial activation rate is as the scenario says."""
        scenario, rng, s = self.scenario, self.setup_rng, self.seekers
        pools = [(p.service_id, p) for p in self.services.pools if not p.reserved]
        total_places = sum(p.places.capacity for _, p in pools)
        if total_places == 0:
            return
        wanted = scenario.population.initial_activation * scenario.region.job_seekers
        fill = min(1.0, wanted / total_places)
        free = rng.permutation(np.flatnonzero(s.view("state") == State.UNEMPLOYED))
        taken = 0
        for sid, pool in pools:
            count = min(int(round(pool.places.capacity * fill)), len(free) - taken)
            members = free[taken:taken + count]
            taken += count
            remaining = rng.integers(1, pool.service.duration_weeks + 1, size=len(members))
            self.services.start_initial(members, sid, remaining)

    def _build_coaches(self) -> None:
        scenario, s = self.scenario, self.seekers
        office = scenario.public_office
        target = s.view("target")
        coaching = scenario.interventions.coaching
        te_clients = int((~target).sum()) if coaching else s.n
        self.coaches: list[Coach] = []
        te_count = max(1, math.ceil(te_clients / office.caseload))
        for _ in range(te_count):
            self.coaches.append(Coach(
                self, len(self.coaches), False, office.meeting_slots_per_week,
                office.meeting_interval_weeks, 1.0, 1.0, office.expert_cost_per_year_eur,
                (1.0, 0.0, 0.0)))
        self.te_coaches = np.arange(te_count)
        self.pilot_coaches = np.zeros(0, dtype=np.int64)
        if coaching:
            pilot_count = max(1, math.ceil(int(target.sum()) / coaching.caseload))
            slots = (coaching.meeting_slots_per_week * (1 + coaching.time_freed_share)
                     * coaching.staff_delivery_share)
            start = len(self.coaches)
            for _ in range(pilot_count):
                self.coaches.append(Coach(
                    self, len(self.coaches), True, slots, coaching.meeting_interval_weeks,
                    coaching.meeting_effect_multiplier, coaching.referral_multiplier,
                    coaching.cost_per_coach_year_eur * coaching.staff_delivery_share,
                    tuple(coaching.payer_shares)))
            self.pilot_coaches = np.arange(start, len(self.coaches))
        self.coach_interval = np.array([c.interval_weeks for c in self.coaches])
        self.coach_effect = np.array([c.meeting_effect for c in self.coaches])
        self.coach_referral = np.array([c.referral_multiplier for c in self.coaches])
        self._assign_coaches(np.arange(s.n))

    def _assign_coaches(self, index: np.ndarray) -> None:
        s = self.seekers
        pilot = s.target[index] & (len(self.pilot_coaches) > 0)
        s.coach[index[~pilot]] = self.rng.choice(self.te_coaches, size=int((~pilot).sum()))
        if pilot.any():
            clients = index[pilot]
            s.coach[clients] = self.rng.choice(self.pilot_coaches, size=len(clients))
            if self.scenario.interventions.coaching.first_assessment:
                s.last_meeting[clients] = -10_000  # due at once: the first assessment meeting

    def _build_firms(self) -> None:
        """Firms with initial vacancies; posting rates that hold vacancies steady."""
        scenario, rng, s = self.scenario, self.firm_rng, self.seekers
        market = scenario.labour_market
        n_firms = scenario.region.firms
        sectors = rng.choice(self.n_sectors, size=n_firms, p=scenario.region.sector_shares)
        sizes = draw_firm_sizes(rng, n_firms)
        vacancies = market.vacancies_per_seeker * scenario.region.job_seekers
        searchers = self.effective_search()
        self.firms_by_sector: list[list[Firm]] = [[] for _ in range(self.n_sectors)]
        self.firms: list[Firm] = []
        self.tightness_0 = np.ones(self.n_sectors)
        for k in range(self.n_sectors):
            in_k = np.flatnonzero(sectors == k)
            if len(in_k) == 0:
                continue
            share = sizes[in_k] / sizes[in_k].sum()
            v_k = vacancies * scenario.region.sector_shares[k]
            s_k = float(searchers[s.view("sector") == k].sum())
            self.tightness_0[k] = v_k / s_k if s_k > 0 else 1.0
            fill_rate = market.matching_efficiency * s_k / v_k if v_k > 0 else 0.0
            for f, sh in zip(in_k, share, strict=True):
                posting = v_k * sh * (1.0 / market.vacancy_duration_weeks + fill_rate)
                firm = Firm(self, len(self.firms), k, int(sizes[f]), float(posting))
                firm.posted = int(rng.poisson(v_k * sh))
                self.firms_by_sector[k].append(firm)
                self.firms.append(firm)

    # -- the week ------------------------------------------------------------------

    def step(self) -> None:
        self.week += 1
        self.env.run(until=self.week)
        if self._follow_on:
            self._refer(np.concatenate(self._follow_on))
            self._follow_on.clear()
        self._register_inflows()
        self._update_target_group()
        self._hold_meetings()
        if self.providers is not None and self.providers.running():
            self.providers.step()  # intake and effort allocation
        post_vacancies(self.firms, self)
        if self.economy is not None:
            self.economy.step()  # growth firms' needs, solo first hires, programme levers
        self._match()
        if self.economy is not None:
            self.economy.after_match()  # the cross-border vacancy pool
        self._leave_services()
        self._separations_and_exits()
        self._pay_week()
        if self.providers is not None and self.providers.running():
            self.providers.account()  # outcomes, fees through the ledger, profit, exit
        self.metrics.count_sustained()
        self.metrics.record()
        self._advance_clocks()

    def _register_inflows(self) -> None:
        flows = self.scenario.flows
        count = int(self.inflow_rng.poisson(flows.inflow_per_week
                                            * self.scenario.region.job_seekers))
        if count == 0:
            return
        index = self._new_seekers(count, flows.inflow_benefit_shares, self.inflow_rng)
        self.seekers.target[index] = in_target_group(self.scenario, self.seekers, index)
        self._assign_coaches(index)
        self.metrics.count_flow("registrations", index)

    def _update_target_group(self) -> None:
        """People become clients when they come to meet the rule (e.g. 52 weeks unemployed)."""
        s = self.seekers
        candidates = np.flatnonzero(~s.view("target") & in_states(s.view("state"), *ACTIVE))
        joins = candidates[in_target_group(self.scenario, s, candidates)]
        if len(joins):
            s.target[joins] = True
            if self.week > 0 and len(getattr(self, "pilot_coaches", ())) > 0:
                self._assign_coaches(joins)

    def _hold_meetings(self) -> None:
        s, week, rng = self.seekers, self.week, self.rng
        for coach in self.coaches:
            coach.step()
        slots = np.array([c.slots for c in self.coaches])
        unemployed = np.flatnonzero(s.view("state") == State.UNEMPLOYED)
        if self._provider_guides:  # the provider, not the office, guides its clients
            unemployed = unemployed[s.provider[unemployed] == NO_ONE]
        coach = s.coach[unemployed]
        overdue = week - s.last_meeting[unemployed]
        due = overdue >= self.coach_interval[coach]
        candidates, coach, overdue = unemployed[due], coach[due], overdue[due]
        met = candidates[allocate_meetings(coach, overdue, slots,
                                           rng.random(len(candidates)))]
        s.last_meeting[met] = week
        self.metrics.count_flow("meetings", met)
        office = self.scenario.public_office
        free = met[s.waiting_service[met] == NO_ONE]
        band = s.band(s.spell_weeks[free])
        chance = np.asarray(office.referral_by_band)[band] * self.coach_referral[s.coach[free]]
        referred = free[rng.random(len(free)) < chance]
        self._refer(referred)

    def _refer(self, index: np.ndarray) -> None:
        """Choose a service for each referred seeker by profile, and queue them."""
        if len(index) == 0:
            return
        s = self.seekers
        profile = np.where(s.age[index] < 25, 0,
                           np.where(s.weeks_since_work[index] >= 52, 1, 2))
        target = s.target[index]
        chosen = np.full(len(index), NO_ONE, dtype=np.int64)
        for in_target in (False, True):
            if not (target == in_target).any():
                continue  # no draws are skipped: nobody of this group to refer
            room = self.services.room(in_target)
            for p, name in enumerate(PROFILES):
                mask = (profile == p) & (target == in_target)
                if not mask.any():
                    continue
                weights = self._mix_weights(name, in_target) * (room > 0)
                if weights.sum() <= 0:
                    continue
                chosen[mask] = self.rng.choice(len(SERVICE_NAMES), size=int(mask.sum()),
                                               p=weights / weights.sum())
            # within budget: beyond a service's room this week, no referral is made
            group = np.flatnonzero((target == in_target) & (chosen >= 0))
            order = group[np.argsort(chosen[group], kind="stable")]
            services = chosen[order]
            starts = np.searchsorted(services, services, side="left")
            rank = np.arange(len(order)) - starts
            chosen[order[rank >= room[services]]] = NO_ONE
        ok = chosen >= 0
        self.services.refer(index[ok], chosen[ok])
        self.metrics.count_flow("referrals", index[ok])

    def _mix_weights(self, profile: str, in_target: bool) -> np.ndarray:
        cache = self.__dict__.setdefault("_mix_cache", {})  # the scenario is frozen
        if (profile, in_target) not in cache:
            mix = dict(self.scenario.service_mix.get(profile, {}))
            special = self.scenario.interventions.service_mix
            if in_target and special and profile in special:
                mix = dict(special[profile])
            cache[profile, in_target] = np.array([mix.get(name, 0.0) for name in SERVICE_NAMES])
        return cache[profile, in_target]

    def effective_search(self) -> np.ndarray:
        """Each seeker's effective search intensity s_i (0 for those not searching)."""
        s, week = self.seekers, self.week
        market = self.scenario.labour_market
        state = s.view("state")
        hazard = np.asarray(market.work_hazard_by_band)[s.band(s.view("weeks_since_work"))]
        intensity = (s.view("employability") * hazard * s.view("search_effort")
                     * s.view("provider_effort"))
        coach = s.view("coach")
        recently_met = (week - s.view("last_meeting")) < self.scenario.public_office.\
            meeting_effect_weeks
        if hasattr(self, "coach_effect"):
            office = self.scenario.public_office
            boost = (office.meeting_effect * WEEKS_PER_MONTH / office.meeting_effect_weeks
                     * self.coach_effect[np.maximum(coach, 0)])
            intensity = intensity * np.where(recently_met & (coach >= 0), 1.0 + boost, 1.0)
        boosted = s.view("boost_until") >= week
        intensity = intensity * np.where(boosted, s.view("boost"), 1.0)
        lock_in = self._service_array("lock_in", 1.0)[s.view("service")]
        intensity = intensity * np.where(state == State.UNEMPLOYED, 1.0,
                                         np.where(state == State.IN_SERVICE, lock_in, 0.0))
        return intensity

    def _service_array(self, field: str, default: float) -> np.ndarray:
        """A service attribute by service id; the last entry serves id -1."""
        values = [getattr(self.scenario.services[n], field) if n in self.scenario.services
                  else default for n in SERVICE_NAMES]
        return np.array([*values, default])

    def _match(self) -> None:
        """Hires per sector from M = A S^α V^(1-α), shared by search intensity."""
        s, rng = self.seekers, self.rng
        market = self.scenario.labour_market
        intensity = self.effective_search()
        if self.economy is not None:
            intensity = intensity * self.economy.match_factor()  # skills match
        searching = np.flatnonzero(intensity > 0)
        if self.economy is not None:
            self.economy.count_searchers(searching)
        sector = s.sector[searching]
        effective = np.bincount(sector, weights=intensity[searching], minlength=self.n_sectors)
        vacancies = np.zeros(self.n_sectors)
        for k, firms in enumerate(self.firms_by_sector):
            vacancies[k] = sum(f.posted + market.hidden_network_efficiency * f.hidden
                               for f in firms)
        with np.errstate(divide="ignore", invalid="ignore"):
            tightness = np.where(effective > 0, vacancies / effective, 0.0) / self.tightness_0
            scale = market.matching_efficiency * tightness ** (1 - market.matching_elasticity)
            # never more expected hires than open vacancies
            expected = scale * effective
            scale = np.where(expected > vacancies, vacancies / np.maximum(effective, 1e-12),
                             scale)
        chance = np.minimum(1.0, intensity[searching] * scale[sector])
        unemployed = s.state[searching] == State.UNEMPLOYED
        self.metrics.count_at_risk(searching[unemployed])
        hired = searching[rng.random(len(searching)) < chance]
        if len(hired) == 0:
            return
        self._assign_to_firms(hired)
        in_service = hired[s.state[hired] == State.IN_SERVICE]
        self.services.release(in_service)
        waiting = hired[s.waiting_service[hired] != NO_ONE]
        self.services.leave_waiting_list(waiting)
        self.metrics.count_exits_to_work(hired[s.state[hired] == State.UNEMPLOYED])
        self.place(hired)

    def _assign_to_firms(self, hired: np.ndarray) -> None:
        s, rng = self.seekers, self.rng
        efficiency = self.scenario.labour_market.hidden_network_efficiency
        for k, firms in enumerate(self.firms_by_sector):
            members = hired[s.sector[hired] == k]
            if len(members) == 0 or not firms:
                continue
            weights = np.array([f.posted + efficiency * f.hidden for f in firms], dtype=float)
            if weights.sum() <= 0:
                weights = np.ones(len(firms))
            counts = rng.multinomial(len(members), weights / weights.sum())
            firm_ids = np.repeat(np.array([f.number for f in firms]), counts)
            s.firm[members] = firm_ids
            for firm, count in zip(firms, counts, strict=True):
                if count:
                    if self.economy is not None:
                        self.economy.fill(firm, int(count))  # hidden ones filled more slowly
                    else:
                        firm.fill(int(count))

    def place(self, index: np.ndarray) -> None:
        """Open-market employment starts for these job seekers."""
        s, week = self.seekers, self.week
        self.metrics.count_completed_spells(index)
        s.state[index] = State.EMPLOYED
        s.service[index] = NO_ONE
        s.episode[index] = NO_ONE
        s.employed_since[index] = week
        s.placement_week[index] = week
        s.spell_weeks[index] = 0
        s.weeks_since_work[index] = 0
        first = index[s.first_placement[index] < 0]
        s.first_placement[first] = week
        self.metrics.count_flow("placements", index)

    def complete_service(self, index: np.ndarray, service_id: int, service: Service) -> None:
        """A cohort completes its service: some are kept on, the rest search with a boost."""
        s, week = self.seekers, self.week
        s.episode[index] = NO_ONE
        s.service[index] = NO_ONE
        keep = self.rng.random(len(index)) < service.retention
        kept, rest = index[keep], index[~keep]
        if service.kind == "subsidised_job":
            s.weeks_since_work[index] = 0  # a subsidised job is work experience
        s.state[rest] = State.UNEMPLOYED
        s.spell_weeks[rest] = 0
        s.boost[rest] = service.post_effect
        s.boost_until[rest] = week + service.post_effect_weeks
        self.metrics.count_flow("completions", index)
        if len(kept):
            self.place(kept)
        follow_on = rest[self.rng.random(len(rest))
                         < self.scenario.public_office.follow_on_referral]
        s.chained[follow_on] = True
        self._follow_on.append(follow_on)  # referred once the week's episodes have ended
        if self.economy is not None:
            self.economy.completed(index, service)  # training, placements, start-ups

    def _leave_services(self) -> None:
        """Weekly drop-out from services, drawn on arrays."""
        s = self.seekers
        inside = np.flatnonzero(in_states(s.view("state"), State.IN_SERVICE, State.SUBSIDISED))
        if len(inside) == 0:
            return
        dropout = self._service_array("dropout_per_week", 0.0)[s.service[inside]]
        leaving = inside[self.rng.random(len(inside)) < dropout]
        self.services.release(leaving)
        s.state[leaving] = State.UNEMPLOYED
        s.spell_weeks[leaving] = 0
        self.metrics.count_flow("dropouts", leaving)

    def _separations_and_exits(self) -> None:
        s, rng, flows = self.seekers, self.rng, self.scenario.flows
        state = s.view("state")
        employed = np.flatnonzero(state == State.EMPLOYED)
        lost = employed[rng.random(len(employed)) < flows.separation_per_week]
        if len(lost):
            tenure = self.week - s.employed_since[lost]
            requalified = lost[tenure >= 26]  # the work condition renews the entitlement
            s.benefit[requalified] = Benefit.EARNINGS_RELATED
            s.benefit_days[requalified] = 0
            by_firm = np.bincount(s.firm[lost][s.firm[lost] >= 0], minlength=len(self.firms))
            for number in np.flatnonzero(by_firm):
                self.firms[number].separate(int(by_firm[number]))
            s.state[lost] = State.UNEMPLOYED
            s.firm[lost] = NO_ONE
            s.employed_since[lost] = NO_ONE
            s.placement_week[lost] = NO_ONE
            s.spell_weeks[lost] = 0
            self.metrics.count_flow("job_losses", lost)
        unemployed = np.flatnonzero(state == State.UNEMPLOYED)
        draw = rng.random(len(unemployed))
        study_rate = flows.exit_to_study_per_week * np.where(s.age[unemployed] < 25, 3.0, 1.0)
        olf_rate = flows.exit_out_of_labour_force_per_week + np.where(
            s.spell_weeks[unemployed] >= LONG_TERM_WEEKS, flows.long_term_exit_per_week, 0.0)
        to_olf = unemployed[draw < olf_rate]
        to_study = unemployed[(draw >= olf_rate) & (draw < olf_rate + study_rate)]
        leaving = np.concatenate([to_olf, to_study])
        self.services.leave_waiting_list(leaving[s.waiting_service[leaving] != NO_ONE])
        s.state[to_olf] = State.OUT_OF_LABOUR_FORCE
        s.state[to_study] = State.STUDYING
        studying = np.flatnonzero(state == State.STUDYING)
        back = studying[rng.random(len(studying)) < flows.return_from_study_per_week]
        back = back[~np.isin(back, to_study)]
        s.state[back] = State.UNEMPLOYED
        s.spell_weeks[back] = 0

    def _pay_week(self) -> None:
        pay_week(self)

    def _advance_clocks(self) -> None:
        s = self.seekers
        state = s.view("state")
        not_working = in_states(state, State.UNEMPLOYED, State.IN_SERVICE, State.STUDYING,
                                State.OUT_OF_LABOUR_FORCE)
        s.view("weeks_since_work")[not_working] += 1
        s.view("spell_weeks")[state == State.UNEMPLOYED] += 1
        s.view("age")[:] += np.float32(1 / 52)
        s.risk_class[: s.n] = risk_class(risk_score(
            s.view("age"), s.view("education"), s.view("weeks_since_work"), s.view("benefit")))

    # -- running -------------------------------------------------------------------

    def run(self, weeks: int | None = None) -> None:
        for _ in range(self.scenario.weeks if weeks is None else weeks):
            self.step()

    def release(self) -> None:
        """Drop Mesa 3.3's class-level agent-id registry entry so the model can be freed."""
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def age_groups(self) -> np.ndarray:
        return age_group(self.seekers.view("age"))

"""The firm side of a region: growth firms, hidden vacancies, solo entrepreneurs and the
regional economy (jobs, value added).

Built only when a scenario has a ``[growth]`` section (schema: ``simulation.params.growth``);
otherwise it does not exist and draws no random number. The programme levers that work on it
are ``simulation.engine.growth.programme``.

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
- **Regional economy.** Jobs are the model's people in work (open-market, subsidised or
  self-employed), exactly those whose pay is taxed in the ledger. Direct value added in a week
  is ``jobs in the region × value_added_per_job_year / 52``; total adds indirect effects
  (``× indirect_multiplier``). Unemployment expenditure is read from the ledger (benefits by
  payer plus active measures).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.engine.catalogue import Aggregation, Scope, where
from simulation.engine.firms import FIRM_KINDS, Firm
from simulation.engine.interface import Mechanism
from simulation.engine.payments import working
from simulation.engine.seekers import NO_ONE, State
from simulation.params.fields import PAYERS

if TYPE_CHECKING:
    from simulation.engine.interface import Region
    from simulation.params.growth import Growth

WEEKS_PER_YEAR = 52.0
BENEFIT_ITEMS = ("earnings_related_allowance", "basic_allowance", "labour_market_subsidy",
                 "activation_model_cut", "service_increase")
TAX_ITEM = "tax_revenue"
# the firm side's weekly counters: the region-wide flows of the metric catalogue
WEEK_COUNTERS = tuple(m.name for m in where(aggregation=Aggregation.FLOW_TOTAL,
                                            scope=Scope.REGION))
SUMMED = WEEK_COUNTERS  # summary: totals over the run


class RegionalEconomy(Mechanism):
    """Growth firms, solo entrepreneurs and the economy accounting of a region."""

    def __init__(self, region: Region) -> None:
        self.model = model = region
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
        # a provider's guidance of solo entrepreneurs (``simulation.engine.providers``)
        self.provider_hire_multiplier: float | None = None
        intensity = model.effective_search()
        total = float(intensity.sum())
        self.theta_0 = (scenario.labour_market.vacancies_per_seeker
                        * scenario.region.job_seekers / total) if total > 0 else 1.0
        self.jobs_start = int(self.working().sum())


    def phases(self) -> dict[str, Callable[[], None]]:
        return {"vacancies": self.step, "matching": self.detect_first_hires,
                "clocks": self.new_week}


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
        for field_path, name in named:
            if name not in self.sector_of:
                raise ValueError(f"{field_path}: unknown sector {name!r}; the region's sectors are "
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
        self.growth_numbers = np.array([f.number for f in self.growth_firms], dtype=np.intp)
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


    def add_solos(self, sectors: np.ndarray) -> None:
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


    def new_firm(self, sector: int, growth: str) -> Firm:
        model = self.model
        firm = Firm(model, model.firm_table, sector, 1, 0.0, growth)
        model.firms.append(firm)
        model.firms_by_sector[sector].append(firm)
        self.contact_until = np.append(self.contact_until, -1)
        self.last_visit = np.append(self.last_visit, -10_000)
        self.firm_size0 = np.append(self.firm_size0, 0 if growth == "anchor" else 1)
        return firm


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


    def search_factor(self, index: np.ndarray | None = None) -> np.ndarray:
        """Each seeker's skill match with the vacancies of their sector (multiplies search);
        of the seekers ``index`` only, if given (the same values)."""
        self._sync_people()
        s = self.model.seekers
        rows = slice(0, s.n) if index is None else index
        sector = s.sector[rows].astype(np.int64)
        trained_sector, gain = self.trained_sector[rows], self.gain[rows]
        education = s.education[rows]
        # one gather from the flattened table (the same entries as indexing by both)
        factor = self.education_match.ravel().take(
            education.astype(np.int64) * self.education_match.shape[1] + sector)
        trained = (trained_sector == sector).nonzero()[0]
        factor[trained] *= 1.0 + gain[trained]  # the others' factor times 1.0: unchanged
        return factor


    def count_searchers(self, unemployed: np.ndarray) -> None:
        self.sector_searcher_weeks += np.bincount(self.model.seekers.sector[unemployed],
                                                  minlength=self.model.n_sectors)


    def working(self) -> np.ndarray:
        """Who works this week, exactly as the ledger taxes pay (open market, subsidised job)."""
        return working(self.model)


    def available(self, extra: np.ndarray | None = None) -> np.ndarray:
        """Unemployed job seekers free for a programme (not queued for a service)."""
        s = self.model.seekers
        free = (s.view("state") == State.UNEMPLOYED) & (s.view("waiting_service") == NO_ONE)
        if extra is not None:
            free &= extra
        return free.nonzero()[0]


    # -- the week ---------------------------------------------------------------------------

    def demand(self) -> float:
        growth = self.model.scenario.labour_market.demand_growth_per_year
        return (1.0 + growth) ** (self.model.week / WEEKS_PER_YEAR)


    def step(self) -> None:
        """Firm-side needs and solo entrepreneurs' decisions, before the week's matching."""
        self._sync_people()
        s = self.model.seekers
        self.abroad &= s.view("state") == State.EMPLOYED
        self._growth_needs()
        self._surface_for_contacts()
        self._solo_decisions()


    def _growth_needs(self) -> None:
        if not self.growth_firms:
            return
        p, table, numbers = self.params, self.model.firm_table, self.growth_numbers
        scale = self.demand() ** p.demand_elasticity
        rates = table.need_rate[numbers] * scale
        needs = self.rng.poisson(rates)
        vacancies = self.rng.binomial(needs, table.capability[numbers])
        hidden = self.rng.binomial(vacancies, p.growth_hidden_share)
        self.week_counts["growth_needs"] += int(needs.sum())
        self.week_counts["growth_vacancies"] += int(vacancies.sum())
        table.posted[numbers] += vacancies - hidden  # each growth firm once
        table.hidden[numbers] += hidden


    def _surface_for_contacts(self) -> None:
        """Firms in contact with the programme advertise their hidden vacancies."""
        table = self.model.firm_table
        numbers = (self.contact_until >= self.model.week).nonzero()[0]
        numbers = numbers[table.hidden[numbers] > 0]
        if len(numbers):
            surfaced = table.hidden[numbers]
            self.week_counts["hidden_surfaced"] += surfaced.sum()
            table.posted[numbers] += surfaced
            table.hidden[numbers] = 0


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
        if self.provider_hire_multiplier is not None:  # a provider's guidance of its firms
            hazard *= np.where(self.solo_provider_until >= week,
                               self.provider_hire_multiplier, 1.0)
        # only those without a first hire and without an open vacancy decide
        open_vacancy = np.zeros(n, dtype=bool)
        with_firm = (self.solo_firm >= 0).nonzero()[0]
        table, numbers = self.model.firm_table, self.solo_firm[with_firm]
        open_vacancy[with_firm] = (table.posted[numbers] + table.hidden[numbers]) > 0
        deciding = ~self.solo_hired & ~open_vacancy
        decides = (deciding & (self.rng.random(n) < np.minimum(1.0, hazard))).nonzero()[0]
        hidden = self.rng.random(len(decides)) < p.growth_hidden_share
        for j, is_hidden in zip(decides, hidden, strict=True):
            if self.solo_firm[j] < 0:
                self.solo_firm[j] = self.new_firm(int(self.solo_sector[j]), "solo").number
            firm = self.model.firms[self.solo_firm[j]]
            if is_hidden and self.contact_until[firm.number] < week:
                firm.hidden += 1
            else:
                firm.posted += 1
        self.week_counts["first_hire_decisions"] += len(decides)


    def detect_first_hires(self) -> None:
        """Solo entrepreneurs whose firm hired this week (in the match or a programme's direct
        hire) made their first hire: recorded the same week, before the providers' accounts."""
        waiting = ((self.solo_firm >= 0) & ~self.solo_hired).nonzero()[0]
        for j in waiting[self.model.firm_table.hires[self.solo_firm[waiting]] != 0].tolist():
            self._first_hire(j)


    def _first_hire(self, j: int) -> None:
        self.solo_hired[j] = True
        self.week_counts["first_hires"] += 1
        for mechanism in self.model.mechanisms:
            mechanism.first_hire(j)
        support = self.programme.first_hire_support if self.programme is not None else None
        if support is not None and support.subsidy_per_first_hire_eur > 0:
            self.model.ledger.pay_split(self.model.week, support.payer_shares, "firms",
                                        "first_hire_subsidy",
                                        support.subsidy_per_first_hire_eur)


    def accept_provider_guidance(self, hire_multiplier: float) -> None:
        """Providers guide some solo entrepreneurs (``solo_provider_until``); while guided, a
        solo entrepreneur decides on a first hire ``hire_multiplier`` times as often."""
        self.provider_hire_multiplier = hire_multiplier


    # -- hires -----------------------------------------------------------------------------

    def hidden_fills(self, firms: np.ndarray, hires: np.ndarray) -> np.ndarray:
        """How many of each firm's matched hires fill hidden vacancies: in proportion to their
        weight in matching, so hidden ones are filled more slowly (one draw per firm that has
        hidden vacancies, in firm order)."""
        table = self.model.firm_table
        efficiency = self.model.scenario.labour_market.hidden_network_efficiency
        weight_hidden = efficiency * table.hidden[firms]
        total = table.posted[firms] + weight_hidden
        share = np.divide(weight_hidden, total, out=np.zeros(len(firms)), where=total > 0)
        from_hidden = np.zeros(len(firms), dtype=np.int64)
        drawn = share > 0
        from_hidden[drawn] = self.rng.binomial(hires[drawn], share[drawn])
        return from_hidden

    def filled(self, firms: np.ndarray, hires: np.ndarray, posted: np.ndarray,
               hidden: np.ndarray) -> None:
        table = self.model.firm_table
        self.week_counts["fills_posted"] += int(posted.sum())
        self.week_counts["fills_hidden"] += int(hidden.sum())
        np.add.at(self.sector_hires, table.sector[firms], hires)
        growth = table.kind[firms] == FIRM_KINDS.index("growth")
        self.week_counts["growth_firm_hires"] += int(hires[growth].sum())


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
        """The week's firm-side and economy columns (region scope)."""
        working = self.working()
        jobs = int(working.sum())
        abroad = int((working & self.abroad[: len(working)]).sum())
        p = self.params
        row: dict[str, float] = dict(self.week_counts)
        # every firm is a row of the table, its number its place in model.firms
        table = self.model.firm_table
        row["vacancies_posted"] = table.view("posted").sum()
        row["vacancies_hidden"] = table.view("hidden").sum()
        row["growth_firm_jobs"] = table.size[self.growth_numbers].sum()
        row["firms_served"] = self.firms_served()
        row["jobs"] = jobs
        row["jobs_abroad"] = abroad
        row["value_added_direct_eur"] = (jobs - abroad) * p.value_added_per_job_year_eur \
            / WEEKS_PER_YEAR
        row["value_added_total_eur"] = row["value_added_direct_eur"] * p.indirect_multiplier
        return row

    def new_week(self) -> None:
        """The week's counters start again from zero (after the metrics have read them)."""
        self.week_counts.update(dict.fromkeys(WEEK_COUNTERS, 0))  # the programme shares it

    def summary(self, weekly: pd.DataFrame) -> dict[str, float]:
        """Run totals and final-year levels of the firm side and the regional economy."""
        economy, model = self, self.model
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

"""The week's money: benefits, service purchases, subsidies, staff and taxes.

Rules (sources in the scenario files):
- Earnings-related allowance: the state funds the basic-allowance part, the
  unemployment funds (payer ``other``) the rest.
- Basic allowance: the state.
- Labour-market subsidy: on passive days the municipality pays 50 % from 300
  paid days and 70 % from 1,000 (``ledger.municipal_passive_days``); on days in
  an employment-promoting service the state pays it all.
- A service adds the daily increase (state) and its purchase cost (by the
  pool's payer shares); a wage-subsidised job pays the employer a share of pay
  by prior unemployment (state, plus any municipal top-up).
- Work yields income tax (state, municipality) and contributions (other),
  recorded as negative cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.ledger import municipal_passive_days
from simulation.engine.seekers import Benefit, State, in_states

if TYPE_CHECKING:
    from simulation.engine.interface import Region

WEEKS_PER_YEAR = 52.0


def pay_week(model: Region) -> None:
    _pay_benefits(model)
    _pay_services(model)
    _pay_staff(model)
    _collect_taxes(model)


def _pay_benefits(model: Region) -> None:
    s, week, ledger = model.seekers, model.week, model.ledger
    rules = model.scenario.benefits
    days = rules.days_per_week
    state, benefit, target = s.view("state"), s.view("benefit"), s.view("target")
    paid = in_states(state, State.UNEMPLOYED, State.IN_SERVICE) & (benefit != Benefit.NONE)
    passive = paid & (state == State.UNEMPLOYED)
    basic_week = rules.basic_daily_eur * days

    er = paid & (benefit == Benefit.EARNINGS_RELATED)
    er_extra = (rules.earnings_related_daily_eur - rules.basic_daily_eur) * days
    ledger.pay_by_scope(week, "state", "job_seekers", "earnings_related_allowance",
                        er * basic_week, target)
    ledger.pay_by_scope(week, "other", "job_seekers", "earnings_related_allowance",
                        er * er_extra, target)
    basic = paid & (benefit == Benefit.BASIC_ALLOWANCE)
    ledger.pay_by_scope(week, "state", "job_seekers", "basic_allowance",
                        basic * basic_week, target)

    lms = paid & (benefit == Benefit.LABOUR_MARKET_SUBSIDY)
    municipal_days = np.zeros(s.n)
    lms_passive = lms & passive
    municipal_days[lms_passive] = municipal_passive_days(
        s.view("lms_days")[lms_passive], days, rules.municipal_share_thresholds,
        rules.municipal_shares)
    ledger.pay_by_scope(week, "municipality", "job_seekers", "labour_market_subsidy",
                        municipal_days * rules.basic_daily_eur, target)
    ledger.pay_by_scope(week, "state", "job_seekers", "labour_market_subsidy",
                        lms * basic_week - municipal_days * rules.basic_daily_eur, target)
    in_service = paid & (state == State.IN_SERVICE)
    ledger.pay_by_scope(week, "state", "job_seekers", "service_increase",
                        in_service * rules.service_increase_daily_eur * days, target)

    # entitlements advance; an exhausted earnings-related allowance turns into LMS
    s.view("benefit_days")[paid] += days
    s.view("lms_days")[lms] += days
    exhausted = er & (s.view("benefit_days") >= rules.earnings_related_max_days)
    s.view("benefit")[exhausted] = Benefit.LABOUR_MARKET_SUBSIDY
    s.view("benefit_days")[exhausted] = 0


def _pay_services(model: Region) -> None:
    s, week, ledger = model.seekers, model.week, model.ledger
    scenario = model.scenario
    inside = np.flatnonzero(in_states(s.view("state"), State.IN_SERVICE, State.SUBSIDISED))
    if len(inside) == 0:
        return
    pools = model.services.pool_of(inside)
    target = s.target[inside]
    n_pools = len(model.services.pools)
    in_target = np.bincount(pools, weights=target, minlength=n_pools)
    in_other = np.bincount(pools, minlength=n_pools) - in_target
    subsidy = scenario.wage_subsidy
    weekly_pay = scenario.taxes.monthly_wage_eur * 12 / WEEKS_PER_YEAR
    for pool_id, pool in enumerate(model.services.pools):
        for scope, count in (("target", in_target[pool_id]), ("other", in_other[pool_id])):
            if count:
                ledger.pay_split(week, pool.payer_shares, "service_providers",
                                 "service_purchases",
                                 count * pool.service.cost_per_week_eur, scope)
        kind = pool.service.kind
        members = inside[pools == pool_id]
        if kind == "subsidised_job" and len(members):
            tier = np.digitize(s.weeks_since_work[members], [52, 104])
            state_rate = np.asarray(subsidy.rates)[tier]
            member_target = s.target[members]
            # the city's top-up is for the pilot's own clients
            top_up = np.clip(np.minimum(subsidy.top_up_cap, state_rate + subsidy.municipal_top_up)
                             - state_rate, 0.0, None) * member_target
            ledger.pay_by_scope(week, "state", "firms", "wage_subsidy",
                                state_rate * weekly_pay, member_target)
            ledger.pay_by_scope(week, "municipality", "firms", "wage_subsidy",
                                top_up * weekly_pay, member_target)
        elif kind == "enterprise" and len(members):
            grant = scenario.benefits.basic_daily_eur * scenario.benefits.days_per_week
            ledger.pay_by_scope(week, "state", "entrepreneurs", "start_up_grant",
                                np.full(len(members), grant), s.target[members])


def _pay_staff(model: Region) -> None:
    """Coach salaries, summed over coaches that share a scope and payer split."""
    groups: dict[tuple[str, tuple[float, ...]], float] = {}
    for coach in model.office.coaches:
        key = ("target" if coach.pilot else "other", tuple(coach.payer_shares))
        groups[key] = groups.get(key, 0.0) + coach.cost_per_year / WEEKS_PER_YEAR
    for (scope, shares), cost in groups.items():
        model.ledger.pay_split(model.week, shares, "staff", "coach_staff", cost, scope)


def working(model: Region) -> np.ndarray:
    """Who is paid a wage this week: open-market jobs and wage-subsidised jobs (not start-ups)."""
    s = model.seekers
    state = s.view("state")
    paid = state == State.EMPLOYED
    subsidised = np.flatnonzero(state == State.SUBSIDISED)
    if len(subsidised):
        kinds = np.array([p.service.kind == "subsidised_job" for p in model.services.pools])
        paid[subsidised] = kinds[model.services.pool_of(subsidised)]
    return paid


def _collect_taxes(model: Region) -> None:
    s, week, ledger = model.seekers, model.week, model.ledger
    taxes = model.scenario.taxes
    working_now = working(model)
    pay = taxes.monthly_wage_eur * 12 / WEEKS_PER_YEAR
    target = s.view("target")
    for payer, rate in (("state", taxes.state_tax_rate),
                        ("municipality", taxes.municipal_tax_rate),
                        ("other", taxes.contributions_rate)):
        ledger.pay_by_scope(week, payer, "employed", "tax_revenue", working_now * -pay * rate,
                            target)

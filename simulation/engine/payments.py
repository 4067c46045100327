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

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.ledger import municipal_passive_days
from simulation.engine.seekers import (
    BASIC_ALLOWANCE,
    EARNINGS_RELATED,
    EMPLOYED,
    IN_SERVICE,
    LABOUR_MARKET_SUBSIDY,
    NO_BENEFIT,
    SUBSIDISED,
    UNEMPLOYED,
    in_states,
)

if TYPE_CHECKING:
    from simulation.engine.interface import Region

WEEKS_PER_YEAR = 52.0


def pay_week(model: Region) -> None:
    # who is in a service or a subsidised job, and in which pool: nothing here changes
    # anyone's state, so purchases and taxes share them
    inside = in_states(model.seekers.view("state"), IN_SERVICE, SUBSIDISED).nonzero()[0]
    pools = model.services.pool_of(inside)
    _pay_benefits(model)
    _pay_services(model, inside, pools)
    _pay_staff(model)
    _collect_taxes(model, inside, pools)


def _where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values[mask]``, several times faster for large masks mixed true and false (a
    boolean index mispredicts its branches; positions and take do not)."""
    return values.take(mask.nonzero()[0])


def _by_scope(mask: np.ndarray, target: np.ndarray) -> tuple[int, int]:
    """How many of ``mask`` are in the target group, and how many are not."""
    in_target = int(np.count_nonzero(mask & target))
    return in_target, int(np.count_nonzero(mask)) - in_target


def _pay_benefits(model: Region) -> None:
    """The week's benefits. Everyone of one benefit type is paid the same weekly amount, so
    the ledger gets count × amount by scope; only the municipal share of the labour-market
    subsidy depends on each person's days paid so far."""
    s, week, ledger = model.seekers, model.week, model.ledger
    rules = model.scenario.benefits
    days = rules.days_per_week
    state, benefit = s.view("state"), s.view("benefit")
    paid_mask = in_states(state, UNEMPLOYED, IN_SERVICE) & (benefit != NO_BENEFIT)
    paid = paid_mask.nonzero()[0]
    kind, target = benefit[paid], s.target[paid]
    passive = state[paid] == UNEMPLOYED
    basic_week = rules.basic_daily_eur * days

    er = kind == EARNINGS_RELATED
    er_extra = (rules.earnings_related_daily_eur - rules.basic_daily_eur) * days
    counts = _by_scope(er, target)
    ledger.pay_counts(week, "state", "job_seekers", "earnings_related_allowance", basic_week,
                      *counts)
    ledger.pay_counts(week, "other", "job_seekers", "earnings_related_allowance", er_extra,
                      *counts)
    ledger.pay_counts(week, "state", "job_seekers", "basic_allowance", basic_week,
                      *_by_scope(kind == BASIC_ALLOWANCE, target))

    lms = kind == LABOUR_MARKET_SUBSIDY
    lms_passive = (lms & passive).nonzero()[0]  # positions in paid
    municipal_days = municipal_passive_days(
        s.lms_days[paid.take(lms_passive)], days, rules.municipal_share_thresholds,
        rules.municipal_shares)
    municipal_target = float(_where(municipal_days, target.take(lms_passive)).sum())
    municipal_other = float(municipal_days.sum()) - municipal_target
    ledger.pay_by_scope_totals(week, "municipality", "job_seekers", "labour_market_subsidy",
                               municipal_target * rules.basic_daily_eur,
                               municipal_other * rules.basic_daily_eur)
    lms_target, lms_other = _by_scope(lms, target)
    ledger.pay_by_scope_totals(
        week, "state", "job_seekers", "labour_market_subsidy",
        lms_target * basic_week - municipal_target * rules.basic_daily_eur,
        lms_other * basic_week - municipal_other * rules.basic_daily_eur)
    ledger.pay_counts(week, "state", "job_seekers", "service_increase",
                      rules.service_increase_daily_eur * days, *_by_scope(~passive, target))

    rule = model.scenario.national_policy.activation_model
    cut = s.cut_days_left[paid] > 0
    if rule.enabled and cut.any():
        municipal = np.zeros(len(paid))
        municipal[lms_passive] = municipal_days
        cut = cut.nonzero()[0]
        _cut_benefits(model, rule.cut_share, kind.take(cut), target.take(cut),
                      municipal.take(cut))

    # entitlements advance; an exhausted earnings-related allowance turns into LMS
    # whole columns plus mask × days: far cheaper than writing through the index
    benefit_days = s.view("benefit_days")
    benefit_days += paid_mask * np.int32(days)
    s.view("lms_days")[:] += (paid_mask & (benefit == LABOUR_MARKET_SUBSIDY)) * np.int32(days)
    exhausted = (paid_mask & (benefit == EARNINGS_RELATED)
                 & (benefit_days >= rules.earnings_related_max_days)).nonzero()[0]
    s.benefit[exhausted] = LABOUR_MARKET_SUBSIDY
    s.benefit_days[exhausted] = 0


def _cut_benefits(model: Region, share: float, kind: np.ndarray, target: np.ndarray,
                  municipal_days: np.ndarray) -> None:
    """The activation model's cut: ``share`` of each cut person's weekly benefit is withheld,
    from each payer in proportion to what it pays (recorded as a negative amount)."""
    week, ledger, rules = model.week, model.ledger, model.scenario.benefits
    days = rules.days_per_week
    basic_week = rules.basic_daily_eur * days
    er = kind == EARNINGS_RELATED
    er_extra = (rules.earnings_related_daily_eur - rules.basic_daily_eur) * days
    item = "activation_model_cut"
    ledger.pay_counts(week, "state", "job_seekers", item, -share * basic_week,
                      *_by_scope(er | (kind == BASIC_ALLOWANCE), target))
    ledger.pay_counts(week, "other", "job_seekers", item, -share * er_extra,
                      *_by_scope(er, target))
    lms = kind == LABOUR_MARKET_SUBSIDY
    municipal = municipal_days * rules.basic_daily_eur * share
    municipal_target = float(_where(municipal, lms & target).sum())
    municipal_other = float(_where(municipal, lms).sum()) - municipal_target
    ledger.pay_by_scope_totals(week, "municipality", "job_seekers", item, -municipal_target,
                               -municipal_other)
    lms_target, lms_other = _by_scope(lms, target)
    ledger.pay_by_scope_totals(week, "state", "job_seekers", item,
                               -(lms_target * basic_week * share - municipal_target),
                               -(lms_other * basic_week * share - municipal_other))


def _pay_services(model: Region, inside: np.ndarray, pools: np.ndarray) -> None:
    """Purchases for everyone in a service (``inside``; ``pools``: their pools)."""
    s, week, ledger, services = model.seekers, model.week, model.ledger, model.services
    scenario = model.scenario
    if len(inside) == 0:
        return
    target = s.target[inside]
    n_pools = len(services.pools)
    in_target = np.bincount(pools, weights=target, minlength=n_pools)
    in_other = np.bincount(pools, minlength=n_pools) - in_target
    subsidy = scenario.wage_subsidy
    weekly_pay = scenario.taxes.monthly_wage_eur * 12 / WEEKS_PER_YEAR
    for scope, counts in (("target", in_target), ("other", in_other)):
        ledger.pay_split_rows(week, services.pool_payer_shares, "service_providers",
                              "service_purchases", counts * services.pool_cost, scope)
    for pool_id, pool in enumerate(services.pools):
        kind = pool.service.kind
        if kind not in ("subsidised_job", "enterprise"):
            continue  # only these pay per member
        members = inside[pools == pool_id]
        if kind == "subsidised_job" and len(members):
            # the subsidy's tier by prior unemployment: under 52 weeks, under 104, longer
            # (np.digitize's bins [52, 104], by comparison)
            prior = s.weeks_since_work[members]
            tier = (prior >= 52).astype(np.intp) + (prior >= 104)
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
    for (scope, shares), cost in model.office.weekly_salaries.items():
        model.ledger.pay_split(model.week, shares, "staff", "coach_staff", cost, scope)


def weekly_salaries(coaches: Iterable) -> dict[tuple[str, tuple[float, ...]], float]:
    """The coaches' weekly salaries summed by scope and payer split, in coach order."""
    groups: dict[tuple[str, tuple[float, ...]], float] = {}
    for coach in coaches:
        key = ("target" if coach.pilot else "other", tuple(coach.payer_shares))
        groups[key] = groups.get(key, 0.0) + coach.cost_per_year / WEEKS_PER_YEAR
    return groups


def working(model: Region, inside: np.ndarray | None = None,
            pools: np.ndarray | None = None) -> np.ndarray:
    """Who is paid a wage this week: open-market jobs and wage-subsidised jobs (not
    start-ups). ``inside``, ``pools``: everyone in a service or a subsidised place and their
    pools, if known."""
    s = model.seekers
    state = s.view("state")
    paid = state == EMPLOYED
    if inside is None:
        subsidised = (state == SUBSIDISED).nonzero()[0]
        pools = model.services.pool_of(subsidised)
    else:
        in_subsidy = state[inside] == SUBSIDISED
        subsidised, pools = inside[in_subsidy], pools[in_subsidy]
    if len(subsidised):
        kinds = np.array([p.service.kind == "subsidised_job" for p in model.services.pools])
        paid[subsidised] = kinds[pools]
    return paid


def _collect_taxes(model: Region, inside: np.ndarray, pools: np.ndarray) -> None:
    s, week, ledger = model.seekers, model.week, model.ledger
    taxes = model.scenario.taxes
    pay = taxes.monthly_wage_eur * 12 / WEEKS_PER_YEAR
    counts = _by_scope(working(model, inside, pools), s.view("target"))
    for payer, rate in (("state", taxes.state_tax_rate),
                        ("municipality", taxes.municipal_tax_rate),
                        ("other", taxes.contributions_rate)):
        ledger.pay_counts(week, payer, "employed", "tax_revenue", -pay * rate, *counts)

"""The people of the region: who is there at the start, who registers, who leaves.

The initial stock, new registrants and firms come from their own child streams of the model's
seed (common random numbers: a scenario and its baseline with the same seed share the same
people); everything else draws from the main stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.actions import leave_service
from simulation.engine.draws import weighted_choice
from simulation.engine.metrics import LONG_TERM_WEEKS
from simulation.engine.registry import enrol
from simulation.engine.seekers import (
    EARNINGS_RELATED,
    EMPLOYED,
    IN_SERVICE,
    LABOUR_MARKET_SUBSIDY,
    NO_ONE,
    OUT_OF_LABOUR_FORCE,
    STUDYING,
    SUBSIDISED,
    UNEMPLOYED,
    base_employability,
    draw_ages,
    draw_spell_weeks,
    in_states,
    survivor_weights,
)
from simulation.engine.targeting import in_target_group

if TYPE_CHECKING:
    from simulation.engine.interface import Region

ACTIVE = (UNEMPLOYED, IN_SERVICE, SUBSIDISED)  # registered job seekers


def new_seekers(region: Region, count: int, benefit_shares: list[float],
                rng: np.random.Generator) -> np.ndarray:
    """Register ``count`` new job seekers with drawn characteristics."""
    scenario, s = region.scenario, region.seekers
    index = s.add(count)
    s.age[index] = draw_ages(rng, count, scenario.population.age_shares)
    s.education[index] = weighted_choice(rng, scenario.population.education_shares, count)
    s.benefit[index] = weighted_choice(rng, benefit_shares, count)
    s.employability[index] = base_employability(scenario, s.age[index], s.education[index], rng)
    s.municipality[index] = weighted_choice(rng, scenario.region.municipality_shares, count)
    s.sector[index] = weighted_choice(rng, scenario.region.sector_shares, count)
    s.registered_week[index] = region.week
    enrol(region, index)
    return index


def build_population(region: Region, n: int) -> None:
    """The job seekers registered when the run starts, with spells from the register's mix."""
    scenario, rng, s = region.scenario, region.population_rng, region.seekers
    index = new_seekers(region, n, scenario.population.benefit_shares, rng)
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
    exhausted = (benefit == EARNINGS_RELATED) & (
        paid_days >= scenario.benefits.earnings_related_max_days)
    benefit[exhausted] = LABOUR_MARKET_SUBSIDY
    s.benefit[index] = benefit
    s.benefit_days[index] = np.where(benefit == EARNINGS_RELATED, paid_days, 0)
    lms = benefit == LABOUR_MARKET_SUBSIDY
    s.lms_days[index] = np.where(
        lms, (s.weeks_since_work[index] * scenario.benefits.days_per_week
              * rng.uniform(0.6, 1.2, n)), 0).astype(np.int32)
    # Initial meetings are spread over the interval, not all due at once.
    s.last_meeting[index] = -rng.integers(0, scenario.public_office.meeting_interval_weeks, n)


def start_initial_services(region: Region) -> None:
    """Fill services so that the initial activation rate is as the scenario says."""
    scenario, rng, s = region.scenario, region.setup_rng, region.seekers
    pools = [(p.service_id, p) for p in region.services.pools if not p.reserved]
    total_places = sum(p.places.capacity for _, p in pools)
    if total_places == 0:
        return
    wanted = scenario.population.initial_activation * scenario.region.job_seekers
    fill = min(1.0, wanted / total_places)
    free = rng.permutation((s.view("state") == UNEMPLOYED).nonzero()[0])
    taken = 0
    for sid, pool in pools:
        count = min(int(round(pool.places.capacity * fill)), len(free) - taken)
        members = free[taken:taken + count]
        taken += count
        remaining = rng.integers(1, pool.service.duration_weeks + 1, size=len(members))
        region.services.start_initial(members, sid, remaining)


def register_inflows(region: Region) -> None:
    """This week's new job seekers: drawn from the inflow stream, given a coach."""
    flows = region.scenario.flows
    rate = flows.inflow_per_week
    if flows.prior_job_losses_per_week > 0:
        # former job seekers in work before the run who lose their job this week
        rate += flows.prior_job_losses_per_week * (
            1.0 - flows.separation_per_week) ** (region.week - 1)
    count = int(region.inflow_rng.poisson(rate * region.scenario.region.job_seekers))
    if count == 0:
        return
    index = new_seekers(region, count, flows.inflow_benefit_shares, region.inflow_rng)
    region.seekers.target[index] = in_target_group(region.scenario, region.seekers, index)
    region.office.assign(index)
    region.metrics.count_flow("registrations", index)


def join_target_group(region: Region) -> np.ndarray:
    """People become clients when they come to meet the rule (e.g. 52 weeks unemployed);
    returns who joined."""
    s = region.seekers
    candidates = (~s.view("target") & in_states(s.view("state"), *ACTIVE)).nonzero()[0]
    joins = candidates[in_target_group(region.scenario, s, candidates)]
    s.target[joins] = True
    return joins


def update_target_group(region: Region) -> None:
    """This week's joiners of the target group; a pilot gives them one of its coaches."""
    joins = join_target_group(region)
    if len(joins) and len(region.office.pilot_coaches) > 0:
        region.office.assign(joins)


def drop_out(region: Region) -> None:
    """Weekly drop-out from services, drawn on arrays."""
    s = region.seekers
    inside = in_states(s.view("state"), IN_SERVICE, SUBSIDISED).nonzero()[0]
    if len(inside) == 0:
        return
    dropout = region.services.by_service("dropout_per_week", 0.0)[s.service[inside]]
    leave_service(region, inside[region.rng.random(len(inside)) < dropout])


def separations_and_exits(region: Region) -> None:
    """Job losses; exits to studies and out of the labour force (more often from long spells:
    pensions, disability and leaving the register); returns from studies."""
    s, rng, flows = region.seekers, region.rng, region.scenario.flows
    state = s.view("state")
    employed = (state == EMPLOYED).nonzero()[0]
    lost = employed[rng.random(len(employed)) < flows.separation_per_week]
    if len(lost):
        tenure = region.week - s.employed_since[lost]
        requalified = lost[tenure >= 26]  # the work condition renews the entitlement
        s.benefit[requalified] = EARNINGS_RELATED
        s.benefit_days[requalified] = 0
        by_firm = np.bincount(s.firm[lost][s.firm[lost] >= 0], minlength=len(region.firms))
        losing = by_firm.nonzero()[0]
        if len(losing):  # (job losses outside the region's firms touch no firm)
            region.firm_table.separate(losing, by_firm[losing])
        s.state[lost] = UNEMPLOYED
        s.firm[lost] = NO_ONE
        s.employed_since[lost] = NO_ONE
        s.placement_week[lost] = NO_ONE
        s.spell_weeks[lost] = 0
        region.metrics.count_flow("job_losses", lost)
    unemployed = (state == UNEMPLOYED).nonzero()[0]
    draw = rng.random(len(unemployed))
    # Only a draw under the highest possible rate (young and long-term unemployed) can
    # leave: the rates are worked out for those few, with the same arithmetic, and the
    # rest, nearly everyone, is passed over in one comparison.
    top = ((flows.exit_out_of_labour_force_per_week + flows.long_term_exit_per_week)
           + flows.exit_to_study_per_week * 3.0)
    maybe = (draw < top).nonzero()[0]
    unemployed, draw = unemployed.take(maybe), draw.take(maybe)
    study_rate = flows.exit_to_study_per_week * np.where(s.age[unemployed] < 25, 3.0, 1.0)
    olf_rate = flows.exit_out_of_labour_force_per_week + np.where(
        s.spell_weeks[unemployed] >= LONG_TERM_WEEKS, flows.long_term_exit_per_week, 0.0)
    to_olf = unemployed[draw < olf_rate]
    to_study = unemployed[(draw >= olf_rate) & (draw < olf_rate + study_rate)]
    leaving = np.concatenate([to_olf, to_study])
    region.services.leave_waiting_list(leaving[s.waiting_service[leaving] != NO_ONE])
    s.state[to_olf] = OUT_OF_LABOUR_FORCE
    s.state[to_study] = STUDYING
    studying = (state == STUDYING).nonzero()[0]
    back = studying[rng.random(len(studying)) < flows.return_from_study_per_week]
    back = back[~_among(back, to_study)]
    s.state[back] = UNEMPLOYED
    s.spell_weeks[back] = 0


def _among(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_set`` (ascending): np.isin for the few people of a
    week, without its fixed cost of sorting (~50 µs a call)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def mark_calendar_year(region: Region) -> None:
    """Who was a job seeker (and a client) in this calendar year, for counts of distinct
    people during a year, as registers publish them."""
    s, metrics = region.seekers, region.metrics
    state = s.view("state")
    seeking = in_states(state, *ACTIVE)
    year_bit = metrics.year_bit(metrics.calendar_year(region.week))
    # whole columns or-ed with mask × bit: far cheaper than writing through a boolean mask
    s.view("seeker_years")[:] |= seeking * year_bit
    s.view("client_years")[:] |= (seeking & s.view("target")) * year_bit


def advance_clocks(region: Region) -> None:
    """A week passes: spells and weeks without work grow, people age."""
    s = region.seekers
    state = s.view("state")
    not_working = in_states(state, UNEMPLOYED, IN_SERVICE, STUDYING, OUT_OF_LABOUR_FORCE)
    # adding the mask (True is 1) to the whole column: far cheaper than column[mask] += 1
    s.view("weeks_since_work")[:] += not_working
    s.view("spell_weeks")[:] += state == UNEMPLOYED
    s.view("age")[:] += np.float32(1 / 52)

"""Vacancies meet job seekers: effective search, the matching function and who hires whom.

Seeker *i* searches with intensity s_i = e_i · h(d_i) · m_i · b_i · ℓ_i · p_i (employability,
the hazard by weeks since work, a recent meeting, a post-service boost, a service's lock-in, a
provider's effort). In each sector k hires follow M_k = A · S_k^α · V_k^(1−α) with
S_k = Σ s_i and V_k = posted + ν · hidden vacancies, tightness normalised to its value at the
start, and never more expected hires than vacancies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.actions import fill, leave_for_work, place
from simulation.engine.firms import Firm, draw_firm_sizes
from simulation.engine.seekers import BAND_OF_WEEK, IN_SERVICE, UNEMPLOYED, in_states
from simulation.params.schema import WEEKS_PER_MONTH

if TYPE_CHECKING:
    from simulation.engine.interface import Region


def search_intensity(region: Region) -> tuple[np.ndarray, np.ndarray]:
    """Who may search this week (the unemployed and those in a service) and their effective
    search intensity s_i (0 for someone locked in completely)."""
    s, week, scenario = region.seekers, region.week, region.scenario
    state = s.view("state")
    searching = in_states(state, UNEMPLOYED, IN_SERVICE)
    market, office = scenario.labour_market, scenario.public_office
    # Worked out on whole columns and then taken for the searchers: contiguous passes cost
    # less than gathering each factor for them (each value is the same product, in the same
    # order). The hazard is looked up by whole weeks since work: one gather from a table.
    intensity = s.view("employability") * np.asarray(market.work_hazard_by_band)[
        BAND_OF_WEEK].take(s.view("weeks_since_work"), mode="clip")
    intensity *= s.view("provider_effort")
    # the factors below are 1 for most searchers: multiplying only the others (by the same
    # values, in the same order) gives the same numbers without whole-array temporaries
    coach = s.view("coach")
    # met within the effect's weeks: week - last < k, i.e. last > week - k (whole weeks)
    met = ((s.view("last_meeting") > week - office.meeting_effect_weeks)
           & (coach >= 0) & searching).nonzero()[0]
    meeting_factor = 1.0 + (office.meeting_effect * WEEKS_PER_MONTH
                            / office.meeting_effect_weeks * region.office.effect)  # by coach
    intensity[met] *= meeting_factor[coach[met]]
    boosted = ((s.view("boost_until") >= week) & searching).nonzero()[0]
    intensity[boosted] *= s.boost[boosted]
    in_service = (state == IN_SERVICE).nonzero()[0]
    intensity[in_service] *= region.services.by_service("lock_in", 1.0)[s.service[in_service]]
    index = searching.nonzero()[0]
    return index, intensity.take(index)


def effective_search(region: Region) -> np.ndarray:
    """Each seeker's effective search intensity s_i (0 for those not searching)."""
    index, intensity = search_intensity(region)
    full = np.zeros(region.seekers.n)
    full[index] = intensity
    return full


def build_firms(region: Region) -> None:
    """Firms with initial vacancies; posting rates that hold vacancies steady."""
    scenario, rng, s = region.scenario, region.firm_rng, region.seekers
    market = scenario.labour_market
    n_firms = scenario.region.firms
    sectors = rng.choice(region.n_sectors, size=n_firms, p=scenario.region.sector_shares)
    sizes = draw_firm_sizes(rng, n_firms)
    vacancies = market.vacancies_per_seeker * scenario.region.job_seekers
    searchers = region.effective_search()
    region.firms_by_sector = [[] for _ in range(region.n_sectors)]
    region.firms = []
    region.tightness_0 = np.ones(region.n_sectors)
    for k in range(region.n_sectors):
        in_k = (sectors == k).nonzero()[0]
        if len(in_k) == 0:
            continue
        share = sizes[in_k] / sizes[in_k].sum()
        v_k = vacancies * scenario.region.sector_shares[k]
        s_k = float(searchers[s.view("sector") == k].sum())
        region.tightness_0[k] = v_k / s_k if s_k > 0 else 1.0
        fill_rate = market.matching_efficiency * s_k / v_k if v_k > 0 else 0.0
        for f, sh in zip(in_k, share, strict=True):
            posting = v_k * sh * (1.0 / market.vacancy_duration_weeks + fill_rate)
            firm = Firm(region, region.firm_table, k, int(sizes[f]), float(posting))
            firm.posted = int(rng.poisson(v_k * sh))
            region.firms_by_sector[k].append(firm)
            region.firms.append(firm)


def match(region: Region) -> None:
    """Hires per sector from M = A S^α V^(1-α), shared by search intensity."""
    s, rng = region.seekers, region.rng
    market = region.scenario.labour_market
    index, intensity = search_intensity(region)
    for mechanism in region.mechanisms:
        factor = mechanism.search_factor(index)  # e.g. skills match with growth firms' vacancies
        if factor is not None:
            intensity = intensity * factor
    # positions, not a boolean index: over tens of thousands of mixed values flatnonzero and
    # take are several times faster (the same arrays)
    positive = (intensity > 0).nonzero()[0]
    searching, intensity = index.take(positive), intensity.take(positive)
    unemployed = searching.take((s.state[searching] == UNEMPLOYED).nonzero()[0])
    for mechanism in region.mechanisms:
        mechanism.count_searchers(unemployed)
    sector = s.sector[searching]
    table = region.firm_table
    open_weight = table.view("posted") + market.hidden_network_efficiency * table.view("hidden")
    # summed firm by firm in each sector, in firm order
    vacancies = np.bincount(table.view("sector"), weights=open_weight,
                            minlength=region.n_sectors)
    chance = hire_chances(intensity, sector, vacancies, region.tightness_0,
                          market.matching_efficiency, market.matching_elasticity)
    region.metrics.count_at_risk(unemployed)
    hired = searching[rng.random(len(searching)) < chance]
    if len(hired) == 0:
        return
    leave_for_work(region, hired)
    assign_to_firms(region, hired, open_weight)
    place(region, hired)


def hire_chances(intensity: np.ndarray, sector: np.ndarray, vacancies: np.ndarray,
                 tightness_0: np.ndarray, efficiency: float, elasticity: float) -> np.ndarray:
    """Each searcher's chance of a hire this week from M_k = A S_k^α V_k^(1−α): its intensity
    times A (θ_k/θ_k0)^(1−α), scaled down where the expected hires would exceed the sector's
    open vacancies. Others' search lowers one's chance only through tightness (α < 1) or
    when the vacancies bind: that is where displacement comes from."""
    effective = np.bincount(sector, weights=intensity, minlength=len(vacancies))
    with np.errstate(divide="ignore", invalid="ignore"):
        tightness = np.where(effective > 0, vacancies / effective, 0.0) / tightness_0
        scale = efficiency * tightness ** (1 - elasticity)
        # never more expected hires than open vacancies
        expected = scale * effective
        scale = np.where(expected > vacancies, vacancies / np.maximum(effective, 1e-12), scale)
    return np.minimum(1.0, intensity * scale[sector])


def assign_to_firms(region: Region, hired: np.ndarray, open_weight: np.ndarray) -> None:
    """Each sector's hires go to its firms in proportion to their open vacancies
    (``open_weight``: advertised plus hidden ones at their matching weight, by firm).

    One multinomial draw per sector with hires and firms, in sector order, made as one call:
    each sector's shares are a row, its firms at the row's end behind zero shares, which
    draw nothing (tests/test_matching.py checks this against a call per sector). The firms
    then fill their vacancies in one call, sector by sector and in firm order within each.
    """
    s, rng = region.seekers, region.rng
    sector = s.sector[hired]
    hires_by_sector = np.bincount(sector, minlength=region.n_sectors)
    firm_order, firms_by_sector, first_firm = region.firm_table.by_sector(region.n_sectors)
    rows = ((hires_by_sector > 0) & (firms_by_sector > 0)).nonzero()[0]
    if len(rows) == 0:
        return
    width = int(firms_by_sector[rows].max())
    shares = np.zeros((len(rows), width))
    firms = np.zeros((len(rows), width), dtype=np.int64)
    sorted_weight = open_weight.take(firm_order)
    counts, firsts = firms_by_sector.tolist(), first_firm.tolist()
    for row, k in enumerate(rows.tolist()):
        count, first = counts[k], firsts[k]
        weights = sorted_weight[first:first + count]
        total = weights.sum()
        if total <= 0:
            weights = np.ones(count)
            total = weights.sum()
        shares[row, width - count:] = weights / total
        firms[row, width - count:] = firm_order[first:first + count]
    counts = rng.multinomial(hires_by_sector[rows], shares).ravel()
    firms = firms.ravel()
    # the hires of these sectors, by sector and in their own order within each
    order = np.argsort(sector, kind="stable")
    members = hired[order][(firms_by_sector > 0)[sector[order]]]
    s.firm[members] = np.repeat(firms, counts)
    hiring = counts.nonzero()[0]
    fill(region, firms[hiring], counts[hiring], matched=True)

"""The labour-market actions that the model's week, providers and growth programmes share.

A job seeker starts a job, leaves a service early or completes it, and a job reaches 3, 6 and
12 months in the same way whoever brings it about, so each of these is written once here:
the matching function, a coordinator's referral, mass recruitment and the cross-border pool
all hire through ``hire``; the weekly drop-out and a training's extra drop-out both go through
``leave_service``. Mechanisms hear of them through the hooks of ``interface.Mechanism``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.seekers import EMPLOYED, IN_SERVICE, NO_ONE, UNEMPLOYED

if TYPE_CHECKING:
    from simulation.engine.firms import Firm
    from simulation.engine.interface import Region
    from simulation.params.schema import Service

MILESTONES = ((13, 3), (26, 6), (52, 12))  # weeks of continuous work, the months they make


def leave_for_work(region: Region, index: np.ndarray) -> None:
    """People who found work give up their service place or waiting-list place; exits from
    open unemployment to work are counted (Labore's exit rates)."""
    s, services = region.seekers, region.services
    services.release(index[s.state[index] == IN_SERVICE])
    services.leave_waiting_list(index[s.waiting_service[index] != NO_ONE])
    region.metrics.count_exits_to_work(index[s.state[index] == UNEMPLOYED])


def fill(region: Region, firms: np.ndarray, hires: np.ndarray, matched: bool = False) -> None:
    """Firms (by number, each once, in firm order) fill ``hires`` vacancies each. Advertised
    ones go first, unless the hires came through matching and a mechanism that models vacancy
    types (the growth economy's hidden vacancies) splits them; mechanisms hear what was
    filled."""
    from_hidden = None
    if matched:
        for mechanism in region.mechanisms:
            from_hidden = mechanism.hidden_fills(firms, hires)
            if from_hidden is not None:
                break
    posted, hidden = region.firm_table.fill(firms, hires, from_hidden)
    for mechanism in region.mechanisms:
        mechanism.filled(firms, hires, posted, hidden)


def hire(region: Region, index: np.ndarray, firm: Firm | None) -> None:
    """Direct hires into one firm (``None``: a job outside the region's firms, e.g. abroad)."""
    if len(index) == 0:
        return
    leave_for_work(region, index)
    if firm is not None:
        region.seekers.firm[index] = firm.number
        fill(region, np.array([firm.number]), np.array([len(index)]))
    place(region, index)


def place(region: Region, index: np.ndarray) -> None:
    """Open-market employment starts for these job seekers."""
    s, week = region.seekers, region.week
    region.metrics.count_completed_spells(index)
    s.state[index] = EMPLOYED
    s.service[index] = NO_ONE
    s.episode[index] = NO_ONE
    s.employed_since[index] = week
    s.placement_week[index] = week
    s.spell_weeks[index] = 0
    s.weeks_since_work[index] = 0
    first = index[s.first_placement[index] < 0]
    s.first_placement[first] = week
    region.metrics.count_flow("placements", index)


def leave_service(region: Region, index: np.ndarray) -> None:
    """People drop out of their service: the place is freed and they search again."""
    s = region.seekers
    region.services.release(index)
    s.state[index] = UNEMPLOYED
    s.spell_weeks[index] = 0
    region.metrics.count_flow("dropouts", index)


def complete_services(region: Region, cohorts: list[np.ndarray],
                      services: list[Service]) -> None:
    """Cohorts complete their services: some are kept on, the rest search with a boost and
    some are referred on once the week's episodes have ended.

    The draws are made cohort by cohort in the given order (who is kept, then who of the
    rest is referred on), exactly as if each cohort completed alone; the rest is done for
    all of them at once, as each person is in one cohort. Mechanisms then hear of each
    cohort in turn.
    """
    s, week, rng = region.seekers, region.week, region.rng
    follow_share = region.scenario.public_office.follow_on_referral
    # the draws per cohort; who they pick, for all cohorts at once
    keeps, rests, follows = [], [], []
    for index, service in zip(cohorts, services, strict=True):
        keep = rng.random(len(index)) < service.retention
        rest = len(index) - int(np.count_nonzero(keep))
        keeps.append(keep)
        rests.append(rest)
        follows.append(rng.random(rest) < follow_share)
    index, keep, follow = (parts[0] if len(parts) == 1 else np.concatenate(parts)
                           for parts in (cohorts, keeps, follows))
    kept, rest = index[keep], index[~keep]
    follow_on = rest[follow]
    s.episode[index] = NO_ONE
    s.service[index] = NO_ONE
    for cohort, service in zip(cohorts, services, strict=True):
        if service.kind == "subsidised_job":
            s.weeks_since_work[cohort] = 0  # a subsidised job is work experience
    s.state[rest] = UNEMPLOYED
    s.spell_weeks[rest] = 0
    s.boost[rest] = np.repeat([service.post_effect for service in services], rests)
    s.boost_until[rest] = week + np.repeat([service.post_effect_weeks for service in services],
                                           rests)
    region.metrics.count_flow("completions", index)
    if len(kept):
        place(region, kept)
    s.chained[follow_on] = True
    region.follow_on.append(follow_on)
    for cohort, service in zip(cohorts, services, strict=True):
        for mechanism in region.mechanisms:
            mechanism.service_completed(cohort, service)


def reach_milestones(region: Region) -> None:
    """Placements reaching 3, 6 and 12 months of continuous work this week."""
    s, week = region.seekers, region.week
    placed = (s.view("placement_week") >= 0).nonzero()[0]
    tenure = week - s.placement_week[placed]
    for level, (weeks, months) in enumerate(MILESTONES, start=1):
        reached = placed[tenure == weeks]
        region.metrics.count_flow(f"sustained_{months}m", reached)
        s.sustained[reached] = np.maximum(s.sustained[reached], level)

"""The office's week: coaches meet their clients (``coaches.allocate_meetings``), and the
office refers some to services, choosing a service for each by profile (young, long-term
unemployed, other) within what each service can still take this week, and puts them on its
waiting list."""

from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.coaches import allocate_meetings, office_slots
from simulation.engine.draws import cumulative, draw_from
from simulation.engine.seekers import NO_ONE, UNEMPLOYED
from simulation.params.schema import PROFILES, SERVICE_NAMES, Scenario

if TYPE_CHECKING:
    from simulation.engine.interface import Region


def refer(region: Region, index: np.ndarray) -> None:
    """Choose a service for each referred seeker by profile, and queue them.

    The draws go group by group (outside the target group, then in it) and profile by
    profile, each for its members in their order in ``index``; then each group's referrals
    beyond what a service can take this week are dropped, the later ones first. Both groups
    read the room left at the start, so one sort by (group, profile) and one by (group,
    service) serve both."""
    if len(index) == 0:
        return
    s, rng = region.seekers, region.rng
    n_profiles = len(PROFILES)
    # (group, profile) of each: profile 0 young, 1 long-term unemployed, 2 other
    key = np.where(s.age[index] < 25, 0, 2 - (s.weeks_since_work[index] >= 52))
    target = s.target[index]
    key += n_profiles * target
    counts = np.bincount(key, minlength=2 * n_profiles).tolist()
    ends = list(accumulate(counts))
    by_key = np.argsort(key, kind="stable")  # each (group, profile) in index order
    chosen = np.full(len(index), NO_ONE, dtype=np.int64)
    pool_room = region.services.pool_room()  # nothing joins a list before the end
    rooms = []
    for group, in_target in enumerate((False, True)):
        room = region.services.room(in_target, pool_room)
        rooms.append(room)
        open_ = room > 0
        for p, name in enumerate(PROFILES):
            k = group * n_profiles + p
            n = counts[k]
            if n == 0:
                continue  # no draws are skipped: nobody of this group and profile to refer
            table = region.referral_mix.table(name, in_target, open_)
            if table is None:
                continue
            chosen[by_key[ends[k] - n:ends[k]]] = draw_from(rng, table, n)
    # within budget: beyond a service's room this week for the group, no referral is made
    n_services = len(rooms[0])
    ok = chosen >= 0
    members = ok.nonzero()[0]
    slot = chosen[members] + n_services * target[members]  # (group, service)
    room = np.concatenate(rooms)
    if (np.bincount(slot, minlength=len(room)) > room).any():  # (mostly all fit)
        order = np.argsort(slot, kind="stable")
        slot = slot[order]
        rank = np.arange(len(order)) - np.searchsorted(slot, slot, side="left")
        chosen[members[order[rank >= room[slot]]]] = NO_ONE
        ok = chosen >= 0
    region.services.refer(index[ok], chosen[ok], pool_room)
    region.metrics.count_flow("referrals", index[ok])


def refer_follow_on(region: Region) -> None:
    """Completers chosen for a follow-on service are referred once the week's episodes end."""
    if region.follow_on:
        refer(region, np.concatenate(region.follow_on))
        region.follow_on.clear()


class ReferralMix:
    """Weights of the services offered to each profile, outside and inside the target group
    (the pilot's own mix for its clients), and the draw tables made from them."""

    def __init__(self, scenario: Scenario) -> None:
        self.weights: dict[tuple[str, bool], np.ndarray] = {}
        special = scenario.interventions.service_mix
        for profile in PROFILES:
            for in_target in (False, True):
                mix = dict(scenario.service_mix.get(profile, {}))
                if in_target and special and profile in special:
                    mix = dict(special[profile])
                self.weights[profile, in_target] = np.array(
                    [mix.get(name, 0.0) for name in SERVICE_NAMES])
        # a handful of (profile, group, open services) recur all run: their tables once
        self._tables: dict[tuple[str, bool, bytes], np.ndarray | None] = {}

    def table(self, profile: str, in_target: bool, open_: np.ndarray) -> np.ndarray | None:
        """The cumulative table to draw a service from among the open ones (``None``: none
        of them is offered to this profile and group)."""
        key = (profile, in_target, open_.tobytes())
        try:
            return self._tables[key]
        except KeyError:
            weights = self.weights[profile, in_target] * open_
            total = weights.sum()
            table = cumulative(weights / total) if total > 0 else None
            self._tables[key] = table
            return table


def hold_meetings(region: Region) -> None:
    """This week's meetings, most overdue first within each coach's slots; referrals."""
    office = region.office
    s, week, rng = region.seekers, region.week, region.rng
    slots = office_slots(office)
    unemployed = s.view("state") == UNEMPLOYED
    if office.providers_guide:  # the provider, not the office, guides its clients
        unemployed &= s.view("provider") == NO_ONE
    if office.common_interval is not None:
        # one interval for all: due means met on or before a week, a test on whole columns
        due = unemployed & (s.view("last_meeting") <= week - office.common_interval)
        candidates = due.nonzero()[0]
        coach = s.coach[candidates]
        overdue = week - s.last_meeting[candidates]
    else:
        unemployed = unemployed.nonzero()[0]
        coach = s.coach[unemployed]
        overdue = week - s.last_meeting[unemployed]
        due = overdue >= office.interval[coach]
        candidates, coach, overdue = unemployed[due], coach[due], overdue[due]
    met = candidates[allocate_meetings(coach, overdue, slots,
                                       rng.random(len(candidates)))]
    s.last_meeting[met] = week
    region.metrics.count_flow("meetings", met)
    free = met[s.waiting_service[met] == NO_ONE]
    band = s.band(s.spell_weeks[free])
    chance = (np.asarray(region.scenario.public_office.referral_by_band)[band]
              * office.referral[s.coach[free]])
    referred = free[rng.random(len(free)) < chance]
    refer(region, referred)

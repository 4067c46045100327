"""Coaches: TE experts and a pilot's personal coaches, each with a caseload.

A coach has a number of meeting slots per week. Meetings go first to the clients who have
waited longest since their last meeting; a meeting raises the client's search effort for a few
weeks and may end in a referral to a service. Allocation runs on arrays over all coaches at
once. ``Office`` holds the region's coaches and their caseloads; the week's meetings are
``simulation.engine.meetings``.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from simulation.engine.draws import uniform_choice
from simulation.engine.payments import weekly_salaries
from simulation.engine.seekers import JobSeekers
from simulation.params.schema import Scenario


class Coach(mesa.Agent):
    """A TE expert (``pilot=False``) or a pilot's personal coach (``pilot=True``)."""

    def __init__(self, model: mesa.Model, number: int, pilot: bool,
                 slots_per_week: float, interval_weeks: int, meeting_effect: float,
                 referral_multiplier: float, cost_per_year: float,
                 payer_shares: tuple[float, float, float]) -> None:
        super().__init__(model)
        self.number = number          # position in the office's coach arrays
        self.pilot = pilot
        self.slots_per_week = slots_per_week
        self.interval_weeks = interval_weeks
        self.meeting_effect = meeting_effect
        self.referral_multiplier = referral_multiplier
        self.cost_per_year = cost_per_year
        self.payer_shares = payer_shares
        self.slots = 0

    def step(self) -> None:
        self.slots = int(week_slots(np.array([self.slots_per_week]), self.model.rng)[0])


def office_slots(office: Office) -> np.ndarray:
    """This week's meeting slots of every coach: the TE office's from the main stream, the
    pilot's from the pilot's own."""
    te = len(office.te_coaches)
    slots = week_slots(office.slots_per_week[:te], office.rng)
    if office.pilot_rng is None:
        return slots
    return np.concatenate([slots, week_slots(office.slots_per_week[te:], office.pilot_rng)])


def week_slots(slots_per_week: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole meeting slots this week, per coach: a fractional slot is held with that
    probability (one draw per coach, in coach order)."""
    whole = slots_per_week.astype(np.int64)
    return whole + (rng.random(len(slots_per_week)) < slots_per_week - whole)


def allocate_meetings(coach: np.ndarray, overdue: np.ndarray, slots: np.ndarray,
                      tie_break: np.ndarray) -> np.ndarray:
    """Choose who is met this week: per coach, the most overdue first, up to its slots.

    ``coach`` and ``overdue`` (weeks since last meeting) are per candidate;
    ``slots`` per coach. Returns a boolean mask over candidates.
    """
    if len(coach) == 0:
        return np.zeros(0, dtype=bool)
    if coach.min() < 0:  # not a coach's caseload: rank them all
        return _most_overdue(coach, overdue, slots, tie_break)
    # most coaches have slots for all their due clients: only the others need an order
    crowded = (np.bincount(coach, minlength=len(slots)) > slots).take(coach)
    chosen = ~crowded
    ranked = crowded.nonzero()[0]
    if len(ranked):
        chosen[ranked] = _most_overdue(coach.take(ranked), overdue.take(ranked), slots,
                                       tie_break.take(ranked))
    return chosen


def _most_overdue(coach: np.ndarray, overdue: np.ndarray, slots: np.ndarray,
                  tie_break: np.ndarray) -> np.ndarray:
    """Per coach, the most overdue first (ties by ``tie_break``), up to its slots."""
    order = np.lexsort((tie_break, -overdue, coach))
    sorted_coach = coach[order]
    # rank within the coach: position less the position of the coach's first candidate
    position = np.arange(len(order))
    first = np.empty(len(order), dtype=np.bool_)
    first[0] = True
    np.not_equal(sorted_coach[1:], sorted_coach[:-1], out=first[1:])
    rank = position - np.maximum.accumulate(np.where(first, position, 0))
    chosen = np.zeros(len(coach), dtype=bool)
    chosen[order[rank < slots[sorted_coach]]] = True
    return chosen


class Office:
    """The region's coaches: the TE office's experts and, with ``[interventions.coaching]``,
    the pilot's personal coaches for the target group."""

    def __init__(self, model: mesa.Model, scenario: Scenario, seekers: JobSeekers) -> None:
        self.scenario, self.seekers, self.rng = scenario, seekers, model.rng
        region, s = model, seekers
        office = scenario.public_office
        target = s.view("target")
        coaching = scenario.interventions.coaching
        te_clients = int((~target).sum()) if coaching else s.n
        self.coaches: list[Coach] = []
        te_count = max(1, math.ceil(te_clients / office.caseload))
        for _ in range(te_count):
            self.coaches.append(Coach(
                region, len(self.coaches), False, office.meeting_slots_per_week,
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
                    region, len(self.coaches), True, slots, coaching.meeting_interval_weeks,
                    coaching.meeting_effect_multiplier, coaching.referral_multiplier,
                    coaching.cost_per_coach_year_eur * coaching.staff_delivery_share,
                    tuple(coaching.payer_shares)))
            self.pilot_coaches = np.arange(start, len(self.coaches))
        self.slots_per_week = np.array([c.slots_per_week for c in self.coaches], dtype=float)
        # the pilot's coaches draw their weekly slots from their own stream, so a pilot that
        # meets nobody leaves everyone else's draws (and paths) as in its baseline
        self.pilot_rng = model.rng.spawn(1)[0] if len(self.pilot_coaches) else None
        self.interval = np.array([c.interval_weeks for c in self.coaches])
        # one interval for all (no pilot coaches, or the same): compared without a lookup
        self.common_interval = (int(self.interval[0])
                                if (self.interval == self.interval[0]).all() else None)
        self.effect = np.array([c.meeting_effect for c in self.coaches])
        self.referral = np.array([c.referral_multiplier for c in self.coaches])
        procurement = scenario.interventions.procurement
        # a provider that takes over guidance replaces the office's meetings with its clients
        self.providers_guide = (procurement is not None
                                and procurement.office_meetings == "replaced")
        self.assign(np.arange(s.n))
        # summed once, not every week: the coaches are fixed
        self.weekly_salaries = weekly_salaries(self.coaches)

    def assign(self, index: np.ndarray) -> None:
        """Give each of ``index`` a coach: the target group a pilot coach, if there are any."""
        s, rng = self.seekers, self.rng
        pilot = s.target[index] & (len(self.pilot_coaches) > 0)
        others = index[~pilot]
        s.coach[others] = uniform_choice(rng, self.te_coaches, len(others))
        if pilot.any():
            clients = index[pilot]
            s.coach[clients] = uniform_choice(rng, self.pilot_coaches, len(clients))
            if self.scenario.interventions.coaching.first_assessment:
                s.last_meeting[clients] = -10_000  # due at once: the first assessment meeting

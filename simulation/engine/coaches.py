"""Coaches: TE experts and a pilot's personal coaches, each with a caseload.

A coach has a number of meeting slots per week. Meetings go first to the
clients who have waited longest since their last meeting; a meeting raises the
client's search effort for a few weeks and may end in a referral to a service.
Allocation runs on arrays over all coaches at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from simulation.engine.model import RegionalLabourMarket


class Coach(mesa.Agent):
    """A TE expert (``pilot=False``) or a pilot's personal coach (``pilot=True``)."""

    def __init__(self, model: RegionalLabourMarket, number: int, pilot: bool,
                 slots_per_week: float, interval_weeks: int, meeting_effect: float,
                 referral_multiplier: float, cost_per_year: float,
                 payer_shares: tuple[float, float, float]) -> None:
        super().__init__(model)
        self.number = number          # position in the model's coach arrays
        self.pilot = pilot
        self.slots_per_week = slots_per_week
        self.interval_weeks = interval_weeks
        self.meeting_effect = meeting_effect
        self.referral_multiplier = referral_multiplier
        self.cost_per_year = cost_per_year
        self.payer_shares = payer_shares
        self.slots = 0

    def step(self) -> None:
        # Whole slots this week; a fractional slot is held with that probability.
        whole = int(self.slots_per_week)
        self.slots = whole + int(self.model.rng.random() < self.slots_per_week - whole)


def allocate_meetings(coach: np.ndarray, overdue: np.ndarray, slots: np.ndarray,
                      tie_break: np.ndarray) -> np.ndarray:
    """Choose who is met this week: per coach, the most overdue first, up to its slots.

    ``coach`` and ``overdue`` (weeks since last meeting) are per candidate;
    ``slots`` per coach. Returns a boolean mask over candidates.
    """
    if len(coach) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((tie_break, -overdue, coach))
    sorted_coach = coach[order]
    starts = np.flatnonzero(np.r_[True, sorted_coach[1:] != sorted_coach[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order)) - group_start
    chosen = np.zeros(len(coach), dtype=bool)
    chosen[order[rank < slots[sorted_coach]]] = True
    return chosen

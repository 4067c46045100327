"""The national activation model for unemployment security (aktiivimalli), 2018–2019.

The rule (``simulation.params.policy.ActivationModel``, Ministry of Social Affairs and Health):
from the start date, every job seeker paid an unemployment benefit has a review period of 65
paid benefit days. Work (at least 18 hours) or self-employment income during the period, or at
least 5 days in employment-promoting services, keeps the benefit whole; otherwise it is cut by
4.65 % for the next 65 paid days. In the model a week pays 5 days, so a period is 13 paid
weeks: a week in a service counts 5 service days, a week in work (open-market or subsidised)
while a period is open counts as work, and weeks without benefit (in work, studying, out of the
labour force) do not move the period on.

Behavioural responses, fitted to the 2018 activation trend (``calibration/``): in the last
``response_weeks`` of a period, an inactive job seeker asks for a service with
``service_seeking_per_week`` (referred by the office within the week's room, so it may start
too late) or does short work that keeps the benefit whole with ``short_work_per_week``.

The cut itself is a benefit rule, paid in ``payments`` (item ``activation_model_cut``, by
payer, as a negative amount); this module keeps the review clocks and decides who is cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.engine.clock import week_of
from simulation.engine.interface import Mechanism
from simulation.engine.meetings import refer
from simulation.engine.seekers import (
    EMPLOYED,
    IN_SERVICE,
    NO_BENEFIT,
    NO_ONE,
    SUBSIDISED,
    UNEMPLOYED,
    JobSeekers,
    in_states,
)

if TYPE_CHECKING:
    from simulation.engine.interface import Region
    from simulation.params.policy import ActivationModel as Rule


@dataclass(frozen=True)
class ReviewWeek:
    """Who is in which position this week, for the rows the rule looks at."""
    paid: np.ndarray        # paid a benefit this week (the days count towards the period)
    in_service: np.ndarray  # paid and in an employment-promoting service
    working: np.ndarray     # in work (not paid) this week


REVIEW_COLUMNS = ("review_paid_days", "review_service_days", "review_worked", "cut_days_left")


def review_week(s: JobSeekers, index: np.ndarray, week: ReviewWeek, days: int,
                rule: Rule) -> np.ndarray:
    """One week of the rule for the rows ``index``; updates their review columns and returns
    the rows cut from the next paid day on."""
    columns = [getattr(s, name)[index] for name in REVIEW_COLUMNS]
    cut = _review(*columns, week, days, rule)
    for name, values in zip(REVIEW_COLUMNS, columns, strict=True):
        getattr(s, name)[index] = values
    return index[cut]


def review_all(s: JobSeekers, week: ReviewWeek, days: int, rule: Rule) -> np.ndarray:
    """``review_week`` for every row, on the columns themselves (no copies of the rows)."""
    return _review(*(s.view(name) for name in REVIEW_COLUMNS), week, days, rule)


def _review(paid_days: np.ndarray, service_days: np.ndarray, worked: np.ndarray,
            cut_left: np.ndarray, week: ReviewWeek, days: int, rule: Rule) -> np.ndarray:
    """The week on aligned columns, changed in place; returns the positions cut. Whole
    columns take mask × days: far cheaper than writing through a mask or an index."""
    worked |= week.working & (paid_days > 0)
    # a running cut counts the paid days down to zero
    cut_left -= np.minimum(cut_left, days) * (week.paid & (cut_left > 0))
    paid_days += week.paid * np.int16(days)
    service_days += week.in_service * np.int16(days)
    due = (week.paid & (paid_days >= rule.review_paid_days)).nonzero()[0]
    inactive = due[~worked[due] & (service_days[due] < rule.required_service_days)]
    cut_left[inactive] = rule.cut_paid_days
    paid_days[due] = 0
    service_days[due] = 0
    worked[due] = False
    return inactive


class ActivationModel(Mechanism):
    """The review clocks, the cuts and the responses of the national activation model."""

    def __init__(self, region: Region, rule: Rule) -> None:
        self.region, self.rule = region, rule
        self.rng = region.rng.spawn(1)[0]  # its own stream: the responses' draws
        start = region.scenario.start_date
        self.first_week = max(1, week_of(start, rule.start_date))
        self.last_week = (week_of(start, rule.end_date) if rule.end_date is not None
                          else 10**9)
        self.cuts = np.zeros(2, dtype=np.int64)  # review periods ended in a cut: other, target
        self.cut_this_week = 0  # job seekers whose benefit this week was paid with the cut

    def phases(self) -> dict[str, Callable[[], None]]:
        return {"meetings": self.respond, "payments": self.review}

    def _in_force(self) -> bool:
        return self.first_week <= self.region.week <= self.last_week

    def respond(self) -> None:
        """Inactive job seekers near the end of a period ask for a service or do short work."""
        rule, region = self.rule, self.region
        if not self._in_force() or rule.response_weeks == 0:
            return
        s, days = region.seekers, region.scenario.benefits.days_per_week
        near = rule.review_paid_days - rule.response_weeks * days
        candidates = (
            (s.view("state") == UNEMPLOYED) & (s.view("benefit") != NO_BENEFIT)
            & (s.view("review_paid_days") >= near) & ~s.view("review_worked")
            & (s.view("review_service_days") < rule.required_service_days)).nonzero()[0]
        draw = self.rng.random((2, len(candidates)))
        s.review_worked[candidates[draw[1] < rule.short_work_per_week]] = True
        seeking = candidates[(draw[0] < rule.service_seeking_per_week)
                             & (s.waiting_service[candidates] == NO_ONE)]
        refer(region, seeking)

    def review(self) -> None:
        """This week's paid days, activity and reviews; after the rule's end, no cut remains."""
        region = self.region
        s = region.seekers
        self.cut_this_week = 0
        if region.week > self.last_week:
            s.view("cut_days_left")[:] = 0
            return
        if region.week < self.first_week:
            return
        state = s.view("state")
        paid = in_states(state, UNEMPLOYED, IN_SERVICE) & (
            s.view("benefit") != NO_BENEFIT)
        week = ReviewWeek(paid=paid, in_service=paid & (state == IN_SERVICE),
                          working=in_states(state, EMPLOYED, SUBSIDISED))
        # payments ran first this week: a running cut there is what this week withheld
        self.cut_this_week = int(np.count_nonzero(paid & (s.view("cut_days_left") > 0)))
        cut = review_all(s, week, region.scenario.benefits.days_per_week, self.rule)
        in_target = int(s.target[cut].sum())
        self.cuts += (len(cut) - in_target, in_target)

    def weekly_row(self) -> dict[str, float]:
        return {"activation_model_cut_seekers": self.cut_this_week}

    def summary(self, weekly: pd.DataFrame) -> dict[str, float]:
        return {"activation_model_cuts": float(self.cuts.sum()),
                "target_activation_model_cuts": float(self.cuts[1])}


def build_activation_model(region: Region) -> list[Mechanism]:
    """The activation model where the scenario's national policy has it in force."""
    rule = region.scenario.national_policy.activation_model
    return [ActivationModel(region, rule)] if rule.enabled else []

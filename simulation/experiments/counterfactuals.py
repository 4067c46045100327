"""Counterfactual measures of a provider run against its baseline run with the same seed.

Deadweight (paid outcomes that would have happened anyway) and the creaming gap of the same
people in the baseline need both runs, so they live here, above the engine: the engine records
each run's clients and job events, and these functions pair them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.engine.providers import creaming_gap


def _employed_between(person_events: pd.DataFrame, people: np.ndarray, start: np.ndarray,
                      end: np.ndarray) -> np.ndarray:
    """Whether each person was in open-market work at some week in [start, end] of a run.

    ``person_events`` has columns ``person, week, event`` (``placements`` / ``job_losses``),
    as ``WeeklyMetrics.person_events`` gives them; people start the run without a job. A
    person is in work at ``start`` when their last event before it (by week, then as logged)
    is a placement.
    """
    people, start, end = (np.asarray(a, dtype=np.int64) for a in (people, start, end))
    result = np.zeros(len(people), dtype=bool)
    if len(people) == 0 or len(person_events) == 0:
        return result
    person = person_events["person"].to_numpy(np.int64)
    week = person_events["week"].to_numpy(np.int64)
    placed = (person_events["event"] == "placements").to_numpy(bool)
    order = np.lexsort((week, person))  # by person, then week; a week's events as logged
    # one sortable key per (person, week): weeks shifted to start at 0, a span apart
    low = min(int(week.min()), int(start.min()))
    span = max(int(week.max()), int(start.max()), int(end.max())) - low + 2
    key = person[order] * span + (week[order] - low)
    first, last = people * span + (start - low), people * span + (end - low)
    before = np.searchsorted(key, first, side="left") - 1  # their last event before start
    mine = before >= 0
    mine[mine] = person[order[before[mine]]] == people[mine]
    result[mine] = placed[order[before[mine]]]
    placements = key[placed[order]]
    result |= (np.searchsorted(placements, last, side="right")
               > np.searchsorted(placements, first, side="left"))
    return result


def deadweight(clients: pd.DataFrame, baseline_person_events: pd.DataFrame,
               grace_weeks: int = 13) -> dict[str, float]:
    """Paid outcomes that would have happened anyway.

    ``clients`` is the scenario run's ``RunResult.provider_clients``; ``baseline_person_events``
    the baseline run's ``RunResult.person_events`` with the same seed. Only people of the
    initial population are compared (the model draws the same initial population for the same
    seed, so the same index is the same person; later registrants differ between runs). A
    paid placement is deadweight if in the baseline the person was in work at some week
    between the intake week and the paid placement week plus ``grace_weeks``.
    """
    paid = clients[(clients["placement_week"] >= 0) & clients["initial"]
                   & (clients["paid_eur"] > 0)]
    anyway = _employed_between(baseline_person_events, paid["person"].to_numpy(),
                               paid["intake_week"].to_numpy(),
                               paid["placement_week"].to_numpy() + grace_weeks)
    count = len(paid)
    return {
        "paid_outcomes_compared": float(count),
        "deadweight_outcomes": float(anyway.sum()),
        "deadweight_share": float(anyway.mean()) if count else math.nan,
        "paid_eur_compared": float(paid["paid_eur"].sum()),
        "deadweight_eur": float(paid["paid_eur"].to_numpy()[anyway].sum()),
    }


def baseline_creaming_gap(clients: pd.DataFrame, baseline_person_events: pd.DataFrame,
                          programme_weeks: int) -> float:
    """The creaming gap of the same people in the baseline run (same seed).

    For each client of the initial population: was the person in work in the baseline at
    some week of the window the provider had them (intake week to intake + programme weeks)?
    The gap is then taken by the same employability thirds as ``provider_creaming_gap``. The
    difference between the two gaps is what the providers' allocation added.
    """
    mine = clients[clients["initial"]]
    start = mine["intake_week"].to_numpy()
    placed = _employed_between(baseline_person_events, mine["person"].to_numpy(), start,
                               start + programme_weeks)
    return creaming_gap(mine["employability"].to_numpy(), placed)

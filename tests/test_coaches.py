"""Coaches' weekly meetings: who is met when a coach has fewer slots than due clients."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.coaches import allocate_meetings


def _reference(coach: list[int], overdue: list[int], slots: list[int],
               tie_break: list[float]) -> set[int]:
    """Coach by coach: sort the due clients, most overdue first, ties by the draw."""
    chosen: set[int] = set()
    for c, n in enumerate(slots):
        mine = sorted((i for i in range(len(coach)) if coach[i] == c),
                      key=lambda i: (-overdue[i], tie_break[i]))
        chosen.update(mine[:n])
    return chosen


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6).flatmap(lambda coaches: st.tuples(
    st.lists(st.integers(0, 4), min_size=coaches, max_size=coaches),
    st.lists(st.tuples(st.integers(0, coaches - 1), st.integers(0, 30),
                       st.floats(0.0, 1.0, exclude_max=True)), max_size=40))))
def test_each_coach_meets_the_most_overdue_up_to_its_slots(case) -> None:
    slots, clients = case
    coach = [c for c, _, _ in clients]
    overdue = [o for _, o, _ in clients]
    tie_break = [t for _, _, t in clients]
    got = allocate_meetings(np.array(coach, dtype=np.int32), np.array(overdue, dtype=np.int32),
                            np.array(slots, dtype=np.int64), np.array(tie_break))
    assert got.dtype == np.bool_ and len(got) == len(clients)
    assert set(np.flatnonzero(got).tolist()) == _reference(coach, overdue, slots, tie_break)


def test_a_coach_with_room_for_all_meets_all_and_a_full_one_the_longest_waiting() -> None:
    coach = np.array([0, 0, 1, 1, 1], dtype=np.int32)
    overdue = np.array([3, 9, 5, 12, 8], dtype=np.int32)
    got = allocate_meetings(coach, overdue, np.array([2, 1]), np.zeros(5))
    assert got.tolist() == [True, True, False, True, False]
